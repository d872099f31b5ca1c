"""Locks: one thread at a time inside a critical section.

Read exercises/locks/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/locks
"""
import threading


class Counter:
    """A counter that many threads may change at once without losing an update."""

    def __init__(self, lock_factory=threading.Lock):
        """Start at zero, with one lock made by calling lock_factory() once.

        The tests pass their own lock_factory to watch your lock at work, so make
        the lock with it: self._lock = lock_factory()
        """
        # TODO (task 1): set self.value to 0 and make the counter's one lock.
        raise NotImplementedError("not implemented yet: Counter() — see exercises/locks/README.md, task 1")

    def increment(self, between=None):
        """Add one. Calls between() after reading the value and before writing it back.

        The tests pass a between() that pauses there, so that another thread gets
        its chance to run over this one.
        """
        # TODO (tasks 1 and 3): read, call between() if given, write — all under the lock.
        raise NotImplementedError("not implemented yet: Counter.increment — see exercises/locks/README.md, task 1")

    def decrement(self, between=None):
        """Subtract one, under the same lock as increment()."""
        # TODO (task 5): like increment(), and protected by the very same lock.
        raise NotImplementedError("not implemented yet: Counter.decrement — see exercises/locks/README.md, task 5")

    def try_increment(self, timeout):
        """Add one if the lock can be had within timeout seconds; return whether it was."""
        # TODO (task 4): acquire with a timeout; only on success add one and release.
        raise NotImplementedError(
            "not implemented yet: Counter.try_increment — see exercises/locks/README.md, task 4")

    def busy(self):
        """Whether some thread holds the counter's lock right now."""
        # TODO (task 4): ask the lock, without acquiring it.
        raise NotImplementedError("not implemented yet: Counter.busy — see exercises/locks/README.md, task 4")


def run_jobs(names, work, report, lock_factory=threading.Lock):
    """Run work(name) in one thread per name, all at once; report each result under one lock.

    Each thread is named after its job. work() needs no lock; report(name, result)
    touches shared state, so only one thread may be inside it at a time.
    Returns when every thread has finished.
    """
    # TODO (task 2): one lock from lock_factory(); one named thread per job;
    # start them all, then join them all.
    raise NotImplementedError("not implemented yet: run_jobs — see exercises/locks/README.md, task 2")
