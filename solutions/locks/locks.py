"""Locks: one thread at a time inside a critical section.

Reference solution. Same public API as exercises/locks/locks.py.
"""
import threading


class Counter:
    """A counter that many threads may change at once without losing an update."""

    def __init__(self, lock_factory=threading.Lock):
        """Start at zero, with one lock made by calling lock_factory() once."""
        self.value = 0
        self._lock = lock_factory()

    def increment(self, between=None):
        """Add one. Calls between() after reading the value and before writing it back."""
        self._add(1, between)

    def decrement(self, between=None):
        """Subtract one, under the same lock as increment()."""
        self._add(-1, between)

    def _add(self, delta, between):
        # The read, the pause and the write are one critical section.
        with self._lock:
            current = self.value
            if between is not None:
                between()
            self.value = current + delta

    def try_increment(self, timeout):
        """Add one if the lock can be had within timeout seconds; return whether it was."""
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            self.value += 1
        finally:
            self._lock.release()
        return True

    def busy(self):
        """Whether some thread holds the counter's lock right now."""
        return self._lock.locked()


def run_jobs(names, work, report, lock_factory=threading.Lock):
    """Run work(name) in one thread per name, all at once; report each result under one lock.

    Each thread is named after its job. work() needs no lock; report(name, result)
    touches shared state, so only one thread may be inside it at a time.
    Returns when every thread has finished.
    """
    lock = lock_factory()

    def job(name):
        result = work(name)
        with lock:
            report(name, result)

    threads = [threading.Thread(target=job, args=(name,), name=name) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
