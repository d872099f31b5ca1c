"""Mistakes students make with timers; each must fail tests/exercises/timers with a message naming it."""
from kata.mistakes import Mistake

TIMER_RUN = """        self.finished.wait(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()
"""

MISTAKES = (
    Mistake(
        name="timer-calls-the-function-immediately",
        edits=((TIMER_RUN, """        self.function(*self.args, **self.kwargs)
        self.finished.wait(self.interval)
        self.finished.set()
"""),),
        expect="did the Timer call the function immediately",
    ),
    Mistake(
        name="timer-sleeps-instead-of-waiting-on-finished",
        edits=((TIMER_RUN, """        time.sleep(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()
"""),),
        expect="or wait with time.sleep()",
    ),
    Mistake(
        name="timer-waits-in-the-caller-thread",
        edits=(('''    def run(self):
        """Wait interval seconds on self.finished, then call the function unless cancelled."""
''', '''    def start(self):
        """Wait interval seconds on self.finished, then call the function unless cancelled."""
'''),),
        expect="override run(), not start()",
    ),
    Mistake(
        name="cancel-does-not-stop-a-pending-timer",
        edits=((TIMER_RUN, """        self.finished.wait(self.interval)
        self.function(*self.args, **self.kwargs)
        self.finished.set()
"""),),
        expect="the cancel doesn't stop a pending timer",
    ),
    Mistake(
        name="args-passed-as-one-tuple",
        edits=(("""        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
""", """        if not self.finished.is_set():
            self.function(self.args, **self.kwargs)
"""),),
        expect="call self.function(*self.args, **self.kwargs)",
    ),
    Mistake(
        name="repeating-timer-drifts",
        edits=(("        while not self.finished.wait(max(0.0, due - self._clock())):\n",
                "        while not self.finished.wait(self.interval):\n"),),
        expect="the timer drifts",
    ),
    Mistake(
        name="repeating-timer-never-stops",
        edits=(("""        while not self.finished.wait(max(0.0, due - self._clock())):
            self.function(*self.args, **self.kwargs)
""", """        while True:
            self.finished.wait(max(0.0, due - self._clock()))
            self.function(*self.args, **self.kwargs)
"""),),
        expect="a repeating timer that never stops",
    ),
    Mistake(
        name="deadline-clock-bound-as-a-default-argument",
        edits=(("    def __init__(self, seconds, clock=None):\n",
                "    def __init__(self, seconds, clock=time.monotonic):\n"),),
        expect="a default argument clock=time.monotonic is bound",
    ),
    Mistake(
        name="deadline-remaining-goes-negative",
        edits=(("        return max(0.0, self.expires_at - self._clock())\n",
                "        return self.expires_at - self._clock()\n"),),
        expect="remaining() went below zero",
    ),
    Mistake(
        name="backoff-ignores-the-cap",
        edits=(("        step = min(delay, cap, budget - total)\n", "        step = min(delay, budget - total)\n"),),
        expect="backoff ignores the cap",
    ),
    Mistake(
        name="backoff-overruns-the-deadline",
        edits=(("        step = min(delay, cap, budget - total)\n", "        step = min(delay, cap)\n"),),
        expect="the back-off overruns the deadline",
    ),
    Mistake(
        name="finished-not-set-after-firing",
        edits=(("""            self.function(*self.args, **self.kwargs)
        self.finished.set()
""", """            self.function(*self.args, **self.kwargs)
"""),),
        expect="self.finished was never set",
    ),
    Mistake(
        name="repeating-timer-fires-at-start",
        edits=(("""        due = self._clock() + self.interval
        while not self.finished.wait(max(0.0, due - self._clock())):
            self.function(*self.args, **self.kwargs)
            due += self.interval
""", """        due = self._clock()
        while not self.finished.wait(max(0.0, due - self._clock())):
            self.function(*self.args, **self.kwargs)
            due += self.interval
"""),),
        expect="the first call came at once",
    ),
    Mistake(
        name="deadline-expired-one-instant-late",
        edits=(("        return self._clock() >= self.expires_at\n",
                "        return self._clock() > self.expires_at\n"),),
        expect="compare with >=, not >",
    ),
    Mistake(
        name="timer-super-init-forgotten",
        edits=(("        super().__init__()\n        self.interval = interval\n",
                "        self.interval = interval\n"),),
        expect="must call super().__init__() first",
    ),
    Mistake(
        name="backoff-drops-the-last-short-wait",
        edits=(("""    while total < budget:
        step = min(delay, cap, budget - total)
        delays.append(step)
""", """    while total < budget:
        step = min(delay, cap)
        if total + step > budget:
            break
        delays.append(step)
"""),),
        expect="the last wait is not dropped",
    ),
    Mistake(
        name="backoff-grows-before-the-first-wait",
        edits=(("    delays, total, delay = [], 0.0, base\n",
                "    delays, total, delay = [], 0.0, base * factor\n"),),
        expect="the first wait is base itself",
    ),
)
