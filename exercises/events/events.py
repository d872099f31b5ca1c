"""Events: one thread tells many others "go now".

Read exercises/events/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/events
"""
import threading
import time

RED = "red"
GREEN = "green"


class Event:
    """A flag that threads can wait for: a drop-in for threading.Event, built on a Condition."""

    def __init__(self, condition_factory=threading.Condition):
        """Start clear, with one condition made by calling condition_factory() once.

        The tests pass their own condition_factory to see who waits on your
        condition, so make it with the factory: self._cond = condition_factory()
        """
        # TODO (task 1): a flag that starts False, and the event's one condition.
        raise NotImplementedError("not implemented yet: Event() — see exercises/events/README.md, task 1")

    def is_set(self):
        """Whether the flag is set."""
        # TODO (task 1): return the flag.
        raise NotImplementedError("not implemented yet: Event.is_set — see exercises/events/README.md, task 1")

    def set(self):
        """Set the flag and wake every thread waiting for it."""
        # TODO (task 1): under the condition, set the flag and wake all the waiters.
        raise NotImplementedError("not implemented yet: Event.set — see exercises/events/README.md, task 1")

    def clear(self):
        """Clear the flag: later wait() calls block again."""
        # TODO (task 1): under the condition, clear the flag.
        raise NotImplementedError("not implemented yet: Event.clear — see exercises/events/README.md, task 1")

    def wait(self, timeout=None):
        """Block until the flag is set, or until timeout seconds pass; return True if it was set.

        A waiter woken by set() returns True even if clear() ran before it woke.
        """
        # TODO (task 1): if the flag is set return True; else wait on the condition
        # (with the timeout) and return what the condition's wait() returned.
        raise NotImplementedError("not implemented yet: Event.wait — see exercises/events/README.md, task 1")


def start_cars(names, green, cross):
    """Start one thread per car, named after it; each waits for green, then calls cross(name).

    Returns the started threads, without waiting for them: they are waiting for green.
    """
    # TODO (task 2): a car thread waits with green.wait(), then crosses; start them all, return them.
    raise NotImplementedError("not implemented yet: start_cars — see exercises/events/README.md, task 2")


def connect(ready, attempts=3, timeout=0.5):
    """Wait for the event ready, at most `attempts` times, `timeout` seconds each.

    Returns as soon as ready is set; raises ConnectionError after the last try fails.
    """
    # TODO (task 3): loop while ready is not set; give up with ConnectionError after
    # `attempts` waits; each wait is ready.wait(timeout).
    raise NotImplementedError("not implemented yet: connect — see exercises/events/README.md, task 3")


class LightSchedule:
    """A traffic light's plan: red for `red` seconds, then green for `green` seconds, round and round."""

    def __init__(self, red=10.0, green=20.0, clock=None):
        """Remember the durations, the clock (time.monotonic when None) and when the light started."""
        # TODO (task 4): keep red and green; pick the clock here, at call time; self.started = clock().
        raise NotImplementedError("not implemented yet: LightSchedule() — see exercises/events/README.md, task 4")

    def state_at(self, elapsed):
        """RED or GREEN, `elapsed` seconds after the light started."""
        # TODO (task 4): where is elapsed inside the red + green cycle?
        raise NotImplementedError(
            "not implemented yet: LightSchedule.state_at — see exercises/events/README.md, task 4")

    def seconds_to_change(self, elapsed):
        """Seconds from `elapsed` until the light next changes colour."""
        # TODO (task 4): the time left in the current colour.
        raise NotImplementedError(
            "not implemented yet: LightSchedule.seconds_to_change — see exercises/events/README.md, task 4")

    def elapsed(self):
        """Seconds since the light started, by its clock."""
        # TODO (task 4): the clock now, minus self.started.
        raise NotImplementedError(
            "not implemented yet: LightSchedule.elapsed — see exercises/events/README.md, task 4")

    def state(self):
        """RED or GREEN now, by its clock."""
        # TODO (task 4): state_at() of elapsed().
        raise NotImplementedError("not implemented yet: LightSchedule.state — see exercises/events/README.md, task 4")


def run_light(green, schedule, stop):
    """The light thread: keep `green` set while the schedule says GREEN, clear while RED.

    Between changes it waits on stop.wait(seconds_to_change), so setting stop ends it at once.
    """
    # TODO (task 5): loop: look at the schedule, set or clear green, then
    # stop.wait(seconds to the next change); return when that wait returns True.
    raise NotImplementedError("not implemented yet: run_light — see exercises/events/README.md, task 5")
