"""Deadlocks, and the recursive lock.

Reference solution. Same public API as exercises/deadlocks/deadlocks.py.
"""
import random
import threading
import time


class Account:
    """A bank account with its own lock. (Given: nothing to write here.)"""

    def __init__(self, name, balance=0, lock_factory=threading.Lock):
        """An account called name (names are unique), holding balance, guarded by lock_factory()."""
        self.name = name
        self.balance = balance
        self.lock = lock_factory()

    def __repr__(self):
        return f"Account({self.name!r}, {self.balance!r})"


def transfer(source, target, amount, between=None):
    """Move amount from source to target while holding both accounts' locks.

    Calls between() after taking the first lock and before taking the second.
    """
    # One global order for every thread: by account name. Two transfers in
    # opposite directions then want the same lock first, and one simply waits.
    first, second = sorted((source, target), key=lambda account: account.name)
    with first.lock:
        if between is not None:
            between()
        with second.lock:
            source.balance -= amount
            target.balance += amount


def transfer_with_timeout(source, target, amount, timeout, between=None, backoff=None):
    """Move amount from source to target, taking source's lock first, then target's.

    Waits at most timeout seconds for the second lock. When that runs out, gives
    back the first lock, calls backoff(attempt) (or sleeps a random moment) and
    starts again. Returns the number of attempts it took.
    """
    attempt = 0
    while True:
        attempt += 1
        with source.lock:
            if between is not None:
                between()
            if target.lock.acquire(timeout=timeout):
                try:
                    source.balance -= amount
                    target.balance += amount
                finally:
                    target.lock.release()
                return attempt
        # The with-block has given the first lock back: back off holding nothing.
        if backoff is not None:
            backoff(attempt)
        else:
            time.sleep(random.uniform(0, timeout))


class RLock:
    """A re-entrant lock built from one plain lock, an owner and a count.

    A drop-in for threading.RLock: the thread that holds it may acquire it again;
    it is free once its owner has released it as many times as it acquired it.
    """

    def __init__(self, lock_factory=threading.Lock):
        """Make the one underlying lock with lock_factory(); nobody owns it yet."""
        self._lock = lock_factory()
        self._owner = None
        self._count = 0

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock, or re-enter it if this thread owns it; return whether it was taken.

        blocking and timeout mean what they mean for threading.Lock.acquire().
        """
        me = threading.get_ident()
        if self._owner == me:
            self._count += 1
            return True
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True

    def release(self):
        """Undo one acquire(); free the lock when the count reaches zero.

        Raises RuntimeError if the calling thread does not own the lock.
        """
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._lock.release()

    def locked(self):
        """Whether any thread holds the lock right now, the calling one or another.

        threading.RLock has locked() from Python 3.14 on.
        """
        # Not `self._owner == threading.get_ident()`: that answers "do I hold it?" (CPython's own
        # first version of RLock.locked() made that mistake, gh-134323).
        return self._lock.locked()

    def __enter__(self):
        """with rlock: acquires ..."""
        return self.acquire()

    def __exit__(self, *exc_info):
        """... and releases once, however the block ends."""
        self.release()


class Ledger:
    """A list of entries that many threads may add to at once, guarded by one re-entrant lock."""

    def __init__(self, lock_factory=None):
        """No entries yet; the lock is lock_factory(), or this module's RLock() if none is given."""
        self.entries = []
        self._lock = (lock_factory or RLock)()

    def add(self, amount):
        """Append one amount, holding the ledger's lock."""
        with self._lock:
            self.entries.append(amount)

    def add_nested(self, amounts, visit=None):
        """Add every number in a nested list, in order, holding the lock throughout.

        A list inside the list is added by calling add_nested() on it; each number
        by calling add(). visit() is called, with the lock held, at the start of
        every call of add_nested().
        """
        with self._lock:
            if visit is not None:
                visit()
            for item in amounts:
                if isinstance(item, list):
                    self.add_nested(item, visit)
                else:
                    self.add(item)
