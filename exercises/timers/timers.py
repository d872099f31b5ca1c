"""Timers: run something once, later — unless somebody cancels it first.

Read exercises/timers/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/timers
"""
import threading
import time


class Timer(threading.Thread):
    """Call function(*args, **kwargs) once, in its own thread, interval seconds after start().

    A drop-in for threading.Timer: cancel() before it fires means it never fires.
    """

    def __init__(self, interval, function, args=None, kwargs=None):
        """Keep what to call and when; self.finished is the Event that cancel() sets.

        The tests swap self.finished for an Event of their own before start(),
        to see your timer wait on it: wait on self.finished, nothing else.
        """
        # TODO (task 1): super().__init__(); keep interval, function, args (() when None),
        # kwargs ({} when None); self.finished = threading.Event().
        raise NotImplementedError("not implemented yet: Timer() — see exercises/timers/README.md, task 1")

    def cancel(self):
        """Stop the timer if it has not fired yet; harmless afterwards."""
        # TODO (task 2): set self.finished.
        raise NotImplementedError("not implemented yet: Timer.cancel — see exercises/timers/README.md, task 2")

    def run(self):
        """Wait interval seconds on self.finished, then call the function unless cancelled."""
        # TODO (tasks 1 and 2): self.finished.wait(self.interval); if nobody cancelled,
        # call the function with its args and kwargs; then set self.finished.
        raise NotImplementedError("not implemented yet: Timer.run — see exercises/timers/README.md, task 1")


class RepeatingTimer(Timer):
    """Call function(*args, **kwargs) every interval seconds until cancel(), without drifting.

    The calls are due at start + interval, start + 2 * interval, ... by `clock`
    (time.monotonic when None), however long each call takes.
    """

    def __init__(self, interval, function, args=None, kwargs=None, clock=None):
        """Like Timer; clock tells the time the ticks are measured on."""
        # TODO (task 3): Timer's __init__, and the clock (picked here, at call time).
        raise NotImplementedError("not implemented yet: RepeatingTimer() — see exercises/timers/README.md, task 3")

    def run(self):
        """Until finished is set: wait for the next tick on self.finished, then call the function."""
        # TODO (task 3): the next tick is due at a time on the clock; wait on
        # self.finished until then; stop when that wait returns True.
        raise NotImplementedError(
            "not implemented yet: RepeatingTimer.run — see exercises/timers/README.md, task 3")


class Deadline:
    """A moment `seconds` from now, by `clock` (time.monotonic when None)."""

    def __init__(self, seconds, clock=None):
        """Note when the deadline falls."""
        # TODO (task 4): pick the clock here (not as a default argument); self.expires_at.
        raise NotImplementedError("not implemented yet: Deadline() — see exercises/timers/README.md, task 4")

    def remaining(self):
        """Seconds left before the deadline; 0.0 once it has passed, never negative."""
        # TODO (task 4)
        raise NotImplementedError("not implemented yet: Deadline.remaining — see exercises/timers/README.md, task 4")

    def expired(self):
        """Whether the deadline has come."""
        # TODO (task 4)
        raise NotImplementedError("not implemented yet: Deadline.expired — see exercises/timers/README.md, task 4")


def backoff_delays(base, factor, cap, deadline):
    """The waits between retries: base, base * factor, base * factor ** 2, ...

    Each wait is at most cap seconds, and together they fit in what is left of
    the deadline right now: the last wait is cut short to end exactly on it.
    """
    # TODO (task 4): grow the delay by factor, cap it, and stop when the deadline's
    # remaining time is used up.
    raise NotImplementedError("not implemented yet: backoff_delays — see exercises/timers/README.md, task 4")
