"""Deadlocks, and the recursive lock.

Read exercises/deadlocks/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/deadlocks
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
    # TODO (task 1): take the two locks in one global order (by account name),
    # call between() in the gap, move the money, release both.
    raise NotImplementedError("not implemented yet: transfer — see exercises/deadlocks/README.md, task 1")


def transfer_with_timeout(source, target, amount, timeout, between=None, backoff=None):
    """Move amount from source to target, taking source's lock first, then target's.

    Waits at most timeout seconds for the second lock. When that runs out, gives
    back the first lock, calls backoff(attempt) (or sleeps a random moment) and
    starts again. Returns the number of attempts it took.
    """
    # TODO (task 2): a loop of attempts. Each: take source.lock, call between(),
    # try target.lock.acquire(timeout=timeout). Got it: move the money, release
    # both, return the attempt number. Didn't: release source.lock FIRST, then
    # back off: backoff(attempt) if given, else time.sleep(random.uniform(0, timeout)).
    raise NotImplementedError(
        "not implemented yet: transfer_with_timeout — see exercises/deadlocks/README.md, task 2")


class RLock:
    """A re-entrant lock built from one plain lock, an owner and a count.

    A drop-in for threading.RLock: the thread that holds it may acquire it again;
    it is free once its owner has released it as many times as it acquired it.
    """

    def __init__(self, lock_factory=threading.Lock):
        """Make the one underlying lock with lock_factory(); nobody owns it yet."""
        # TODO (task 3): self._lock = lock_factory(), an owner (None) and a count (0).
        raise NotImplementedError("not implemented yet: RLock() — see exercises/deadlocks/README.md, task 3")

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock, or re-enter it if this thread owns it; return whether it was taken.

        blocking and timeout mean what they mean for threading.Lock.acquire().
        """
        # TODO (task 3): the owner only counts one more; anybody else takes the
        # underlying lock (passing blocking and timeout on), then becomes the owner.
        raise NotImplementedError("not implemented yet: RLock.acquire — see exercises/deadlocks/README.md, task 3")

    def release(self):
        """Undo one acquire(); free the lock when the count reaches zero.

        Raises RuntimeError if the calling thread does not own the lock.
        """
        # TODO (tasks 3 and 4): only the owner may release; count down; at zero,
        # forget the owner and release the underlying lock.
        raise NotImplementedError("not implemented yet: RLock.release — see exercises/deadlocks/README.md, task 3")

    def locked(self):
        """Whether any thread holds the lock right now, the calling one or another.

        threading.RLock has locked() from Python 3.14 on.
        """
        # TODO (task 3): ask the underlying lock: it is held whoever the owner is.
        raise NotImplementedError("not implemented yet: RLock.locked — see exercises/deadlocks/README.md, task 3")

    def __enter__(self):
        """with rlock: acquires ..."""
        # TODO (task 3): acquire and return its result.
        raise NotImplementedError("not implemented yet: RLock.__enter__ — see exercises/deadlocks/README.md, task 3")

    def __exit__(self, *exc_info):
        """... and releases once, however the block ends."""
        # TODO (task 3): release once.
        raise NotImplementedError("not implemented yet: RLock.__exit__ — see exercises/deadlocks/README.md, task 3")


class Ledger:
    """A list of entries that many threads may add to at once, guarded by one re-entrant lock."""

    def __init__(self, lock_factory=None):
        """No entries yet; the lock is lock_factory(), or this module's RLock() if none is given."""
        # TODO (task 5): self.entries = [] and one lock: (lock_factory or RLock)().
        raise NotImplementedError("not implemented yet: Ledger() — see exercises/deadlocks/README.md, task 5")

    def add(self, amount):
        """Append one amount, holding the ledger's lock."""
        # TODO (task 5)
        raise NotImplementedError("not implemented yet: Ledger.add — see exercises/deadlocks/README.md, task 5")

    def add_nested(self, amounts, visit=None):
        """Add every number in a nested list, in order, holding the lock throughout.

        A list inside the list is added by calling add_nested() on it; each number
        by calling add(). visit() is called, with the lock held, at the start of
        every call of add_nested().
        """
        # TODO (task 5): with the lock held: visit() if given, then recurse into
        # lists and add() numbers. The calls inside take the lock again.
        raise NotImplementedError(
            "not implemented yet: Ledger.add_nested — see exercises/deadlocks/README.md, task 5")
