"""Semaphores: at most N at a time.

Read exercises/semaphores/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/semaphores
"""
import threading
import time


class Semaphore:
    """A counter of free places, built from one Condition. A drop-in for threading.Semaphore."""

    def __init__(self, value=1, condition_factory=threading.Condition):
        """value free places (ValueError if negative), guarded by one condition_factory()."""
        # TODO (task 1): refuse a negative value; self._cond = condition_factory(); keep the value.
        raise NotImplementedError("not implemented yet: Semaphore() — see exercises/semaphores/README.md, task 1")

    def acquire(self, blocking=True, timeout=None):
        """Take a place: wait while there is none. Return True, or False if it gave up.

        blocking=False never waits; timeout=t waits at most t seconds.
        """
        # TODO (task 1): with the condition held, wait() while the value is 0, then take one.
        # TODO (task 2): blocking=False returns False instead of waiting; a timeout waits at most
        # that long in all (keep a deadline); both together are a ValueError.
        raise NotImplementedError(
            "not implemented yet: Semaphore.acquire — see exercises/semaphores/README.md, task 1")

    def release(self, n=1):
        """Give back n places and wake up to n waiting threads."""
        # TODO (task 1): with the condition held, add n and notify(n). (n < 1 is a ValueError.)
        raise NotImplementedError(
            "not implemented yet: Semaphore.release — see exercises/semaphores/README.md, task 1")

    def __enter__(self):
        """with semaphore: takes a place ..."""
        # TODO (task 1): acquire and return its result.
        raise NotImplementedError(
            "not implemented yet: Semaphore.__enter__ — see exercises/semaphores/README.md, task 1")

    def __exit__(self, *exc_info):
        """... and gives it back, however the block ends."""
        # TODO (task 1): release once.
        raise NotImplementedError(
            "not implemented yet: Semaphore.__exit__ — see exercises/semaphores/README.md, task 1")


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to hold more places than it started with."""

    def __init__(self, value=1, condition_factory=threading.Condition):
        """Like Semaphore; remembers value as the most it may ever hold."""
        # TODO (task 4): super().__init__(...), then remember the initial value.
        raise NotImplementedError(
            "not implemented yet: BoundedSemaphore() — see exercises/semaphores/README.md, task 4")

    def release(self, n=1):
        """Give back n places; ValueError, changing nothing, if that would exceed the initial value."""
        # TODO (task 4): check before you add, under the condition.
        raise NotImplementedError(
            "not implemented yet: BoundedSemaphore.release — see exercises/semaphores/README.md, task 4")


def run_limited(names, work, limit, semaphore_factory=None):
    """Run work(name) in one thread per name, all started at once, but at most limit inside work() at a time.

    Each thread is named after its job. The semaphore is semaphore_factory(limit), or this
    module's BoundedSemaphore(limit) if none is given. Returns when every thread has finished.
    """
    # TODO (task 3): one (semaphore_factory or BoundedSemaphore)(limit) for all; each thread does
    # `with semaphore: work(name)`; start them all, then join them all.
    raise NotImplementedError("not implemented yet: run_limited — see exercises/semaphores/README.md, task 3")
