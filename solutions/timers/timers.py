"""Timers: run something once, later — unless somebody cancels it first.

Reference solution. Same public API as exercises/timers/timers.py.
"""
import threading
import time


class Timer(threading.Thread):
    """Call function(*args, **kwargs) once, in its own thread, interval seconds after start().

    A drop-in for threading.Timer: cancel() before it fires means it never fires.
    """

    def __init__(self, interval, function, args=None, kwargs=None):
        """Keep what to call and when; self.finished is the Event that cancel() sets."""
        super().__init__()
        self.interval = interval
        self.function = function
        self.args = args if args is not None else []
        self.kwargs = kwargs if kwargs is not None else {}
        self.finished = threading.Event()

    def cancel(self):
        """Stop the timer if it has not fired yet; harmless afterwards."""
        self.finished.set()

    def run(self):
        """Wait interval seconds on self.finished, then call the function unless cancelled."""
        self.finished.wait(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()


class RepeatingTimer(Timer):
    """Call function(*args, **kwargs) every interval seconds until cancel(), without drifting.

    The calls are due at start + interval, start + 2 * interval, ... by `clock`
    (time.monotonic when None), however long each call takes.
    """

    def __init__(self, interval, function, args=None, kwargs=None, clock=None):
        """Like Timer; clock tells the time the ticks are measured on."""
        super().__init__(interval, function, args, kwargs)
        self._clock = clock or time.monotonic

    def run(self):
        """Until finished is set: wait for the next tick on self.finished, then call the function."""
        due = self._clock() + self.interval
        while not self.finished.wait(max(0.0, due - self._clock())):
            self.function(*self.args, **self.kwargs)
            due += self.interval


class Deadline:
    """A moment `seconds` from now, by `clock` (time.monotonic when None)."""

    def __init__(self, seconds, clock=None):
        """Note when the deadline falls."""
        self._clock = clock or time.monotonic
        self.expires_at = self._clock() + seconds

    def remaining(self):
        """Seconds left before the deadline; 0.0 once it has passed, never negative."""
        return max(0.0, self.expires_at - self._clock())

    def expired(self):
        """Whether the deadline has come."""
        return self._clock() >= self.expires_at


def backoff_delays(base, factor, cap, deadline):
    """The waits between retries: base, base * factor, base * factor ** 2, ...

    Each wait is at most cap seconds, and together they fit in what is left of
    the deadline right now: the last wait is cut short to end exactly on it.
    """
    budget = deadline.remaining()
    delays, total, delay = [], 0.0, base
    while total < budget:
        step = min(delay, cap, budget - total)
        delays.append(step)
        total += step
        delay *= factor
    return delays
