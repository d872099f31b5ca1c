"""Mistakes students make with events; each must fail tests/exercises/events with a message naming it."""
from kata.mistakes import Mistake

MISTAKES = (
    Mistake(
        name="notify-missing-in-set",
        edits=(("            self._flag = True\n            self._cond.notify_all()\n",
                "            self._flag = True\n"),),
        expect="is notify_all() missing in set()",
    ),
    Mistake(
        name="notify-wakes-only-one-waiter",
        edits=(("            self._cond.notify_all()\n", "            self._cond.notify()\n"),),
        expect="use notify_all() in set()",
    ),
    Mistake(
        name="wait-busy-polls-the-flag",
        edits=(("""        with self._cond:
            signaled = self._flag
            if not signaled:
                # True when set() woke us, even if clear() ran before we got here.
                signaled = self._cond.wait(timeout)
            return signaled
""", """        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._flag:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True
"""),),
        expect="busy-polling",
    ),
    Mistake(
        name="wait-drops-the-timeout",
        edits=(("signaled = self._cond.wait(timeout)", "signaled = self._cond.wait()"),),
        expect="waited on the condition with no timeout",
    ),
    Mistake(
        name="wait-rechecks-the-flag-with-wait-for",
        edits=(("signaled = self._cond.wait(timeout)",
                "signaled = self._cond.wait_for(lambda: self._flag, timeout)"),),
        expect="go back to sleep",
    ),
    Mistake(
        name="wait-returns-the-flag-after-waking",
        edits=(("""                signaled = self._cond.wait(timeout)
            return signaled
""", """                self._cond.wait(timeout)
            return self._flag
"""),),
        expect="not the flag, which clear() has already turned off",
    ),
    Mistake(
        name="car-busy-polls-is-set",
        edits=(("""    def drive(name):
        green.wait()
""", """    def drive(name):
        while not green.is_set():
            time.sleep(0.001)
"""),),
        expect="busy-polling is_set()",
    ),
    Mistake(
        name="car-runs-the-red-light",
        edits=(("""    def drive(name):
        green.wait()
""", """    def drive(name):
        green.is_set()
"""),),
        expect="crossed while the light was red",
    ),
    Mistake(
        name="retry-wait-without-timeout",
        edits=(("        ready.wait(timeout)\n", "        ready.wait()\n"),),
        expect="a wait() without a timeout in the retry client",
    ),
    Mistake(
        name="retry-count-off-by-one",
        edits=(("        if tries >= attempts:\n", "        if tries > attempts:\n"),),
        expect="is the retry count off by one",
    ),
    Mistake(
        name="green-begins-one-step-late",
        edits=(("return RED if elapsed % (self.red + self.green) < self.red else GREEN",
                "return RED if elapsed % (self.red + self.green) <= self.red else GREEN"),),
        expect="compare with <, not <=",
    ),
    Mistake(
        name="schedule-never-starts-over",
        edits=(("return RED if elapsed % (self.red + self.green) < self.red else GREEN",
                "return RED if elapsed < self.red else GREEN"),),
        expect="use elapsed % (red + green)",
    ),
    Mistake(
        name="clock-bound-as-a-default-argument",
        edits=(("    def __init__(self, red=10.0, green=20.0, clock=None):\n",
                "    def __init__(self, red=10.0, green=20.0, clock=time.monotonic):\n"),),
        expect="a default argument clock=time.monotonic is bound once",
    ),
    Mistake(
        name="light-never-clears-green",
        edits=(("""        else:
            green.clear()
""", """        else:
            pass
"""),),
        expect="is clear() never called",
    ),
    Mistake(
        name="light-sleeps-instead-of-waiting-on-stop",
        edits=(("""        if stop.wait(schedule.seconds_to_change(elapsed)):
            return
""", """        time.sleep(schedule.seconds_to_change(elapsed))
        if stop.is_set():
            return
"""),),
        expect="time.sleep() cannot be interrupted by stop",
    ),
    Mistake(
        name="wait-says-true-after-a-timeout",
        edits=(("""                signaled = self._cond.wait(timeout)
            return signaled
""", """                self._cond.wait(timeout)
            return True
"""),),
        expect="never a fixed True",
    ),
    Mistake(
        name="cars-never-started",
        edits=(("""    for thread in threads:
        thread.start()
    return threads
""", """    return threads
"""),),
        expect="call start() on each car's thread",
    ),
    Mistake(
        name="start-cars-joins-the-cars",
        edits=(("""    for thread in threads:
        thread.start()
    return threads
""", """    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return threads
"""),),
        expect="did it join the cars before returning",
    ),
    Mistake(
        name="retry-gives-up-one-try-early",
        edits=(("        if tries >= attempts:\n", "        if tries >= attempts - 1:\n"),),
        expect="is the retry count off by one",
    ),
    Mistake(
        name="light-waits-a-whole-phase",
        edits=(("        if stop.wait(schedule.seconds_to_change(elapsed)):\n",
                "        if stop.wait(schedule.red if schedule.state_at(elapsed) == RED else schedule.green):\n"),),
        expect="wait for what is left of the phase",
    ),
    Mistake(
        name="condition-made-without-the-factory",
        edits=(('        self._cond = condition_factory()\n',
                '        self._cond = threading.Condition()\n'),),
        expect="the test needs condition_factory to see",
    ),
    Mistake(
        name="flag-set-after-the-notify",
        edits=(("            self._flag = True\n            self._cond.notify_all()\n",
                "            self._cond.notify_all()\n        self._flag = True\n"),),
        expect="it woke the waiters before it set the flag",
    ),
)
