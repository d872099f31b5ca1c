"""Semaphores: at most N at a time.

Reference solution. Same public API as exercises/semaphores/semaphores.py.
"""
import threading
import time


class Semaphore:
    """A counter of free places, built from one Condition. A drop-in for threading.Semaphore."""

    def __init__(self, value=1, condition_factory=threading.Condition):
        """value free places (ValueError if negative), guarded by one condition_factory()."""
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._cond = condition_factory()
        self._value = value

    def acquire(self, blocking=True, timeout=None):
        """Take a place: wait while there is none. Return True, or False if it gave up.

        blocking=False never waits; timeout=t waits at most t seconds.
        """
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        deadline = None
        with self._cond:
            while self._value == 0:
                if not blocking:
                    return False
                if timeout is not None:
                    if deadline is None:
                        deadline = time.monotonic() + timeout
                    else:
                        timeout = deadline - time.monotonic()
                        if timeout <= 0:
                            return False
                self._cond.wait(timeout)
            self._value -= 1
            return True

    def release(self, n=1):
        """Give back n places and wake up to n waiting threads."""
        if n < 1:
            raise ValueError("n must be one or more")
        with self._cond:
            self._value += n
            self._cond.notify(n)

    def __enter__(self):
        """with semaphore: takes a place ..."""
        return self.acquire()

    def __exit__(self, *exc_info):
        """... and gives it back, however the block ends."""
        self.release()

    def __repr__(self):
        module = type(self).__module__.rpartition(".")[2]
        return f"<{module}.{type(self).__qualname__} at {id(self):#x}: value={self._value}>"


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to hold more places than it started with."""

    def __init__(self, value=1, condition_factory=threading.Condition):
        """Like Semaphore; remembers value as the most it may ever hold."""
        super().__init__(value, condition_factory)
        self._initial_value = value

    def release(self, n=1):
        """Give back n places; ValueError, changing nothing, if that would exceed the initial value."""
        if n < 1:
            raise ValueError("n must be one or more")
        with self._cond:
            if self._value + n > self._initial_value:
                raise ValueError("semaphore released too many times")
            self._value += n
            self._cond.notify(n)

    def __repr__(self):
        module = type(self).__module__.rpartition(".")[2]
        return (f"<{module}.{type(self).__qualname__} at {id(self):#x}: "
                f"value={self._value}/{self._initial_value}>")


def run_limited(names, work, limit, semaphore_factory=None):
    """Run work(name) in one thread per name, all started at once, but at most limit inside work() at a time.

    Each thread is named after its job. The semaphore is semaphore_factory(limit), or this
    module's BoundedSemaphore(limit) if none is given. Returns when every thread has finished.
    """
    places = (semaphore_factory or BoundedSemaphore)(limit)

    def job(name):
        with places:
            work(name)

    threads = [threading.Thread(target=job, args=(name,), name=name) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
