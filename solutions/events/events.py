"""Events: one thread tells many others "go now".

Reference solution. Same public API as exercises/events/events.py.
"""
import threading
import time

RED = "red"
GREEN = "green"


class Event:
    """A flag that threads can wait for: a drop-in for threading.Event, built on a Condition."""

    def __init__(self, condition_factory=threading.Condition):
        """Start clear, with one condition made by calling condition_factory() once."""
        self._cond = condition_factory()
        self._flag = False

    def is_set(self):
        """Whether the flag is set."""
        return self._flag

    def set(self):
        """Set the flag and wake every thread waiting for it."""
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def clear(self):
        """Clear the flag: later wait() calls block again."""
        with self._cond:
            self._flag = False

    def wait(self, timeout=None):
        """Block until the flag is set, or until timeout seconds pass; return True if it was set."""
        with self._cond:
            signaled = self._flag
            if not signaled:
                # True when set() woke us, even if clear() ran before we got here.
                signaled = self._cond.wait(timeout)
            return signaled


def start_cars(names, green, cross):
    """Start one thread per car, named after it; each waits for green, then calls cross(name).

    Returns the started threads, without waiting for them: they are waiting for green.
    """
    def drive(name):
        green.wait()
        cross(name)

    threads = [threading.Thread(target=drive, args=(name,), name=name) for name in names]
    for thread in threads:
        thread.start()
    return threads


def connect(ready, attempts=3, timeout=0.5):
    """Wait for the event ready, at most `attempts` times, `timeout` seconds each.

    Returns as soon as ready is set; raises ConnectionError after the last try fails.
    """
    tries = 0
    while not ready.is_set():
        if tries >= attempts:
            raise ConnectionError(f"gave up after {attempts} tries")
        ready.wait(timeout)
        tries += 1


class LightSchedule:
    """A traffic light's plan: red for `red` seconds, then green for `green` seconds, round and round."""

    def __init__(self, red=10.0, green=20.0, clock=None):
        """Remember the durations, the clock (time.monotonic when None) and when the light started."""
        self.red = red
        self.green = green
        self._clock = clock or time.monotonic
        self.started = self._clock()

    def state_at(self, elapsed):
        """RED or GREEN, `elapsed` seconds after the light started."""
        return RED if elapsed % (self.red + self.green) < self.red else GREEN

    def seconds_to_change(self, elapsed):
        """Seconds from `elapsed` until the light next changes colour."""
        into_cycle = elapsed % (self.red + self.green)
        if into_cycle < self.red:
            return self.red - into_cycle
        return self.red + self.green - into_cycle

    def elapsed(self):
        """Seconds since the light started, by its clock."""
        return self._clock() - self.started

    def state(self):
        """RED or GREEN now, by its clock."""
        return self.state_at(self.elapsed())


def run_light(green, schedule, stop):
    """The light thread: keep `green` set while the schedule says GREEN, clear while RED.

    Between changes it waits on stop.wait(seconds_to_change), so setting stop ends it at once.
    """
    while True:
        elapsed = schedule.elapsed()
        if schedule.state_at(elapsed) == GREEN:
            green.set()
        else:
            green.clear()
        if stop.wait(schedule.seconds_to_change(elapsed)):
            return
