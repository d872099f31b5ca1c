"""Mistakes students make with lock order and re-entrant locks; each must fail tests/exercises/deadlocks
with a message naming it."""
from kata.mistakes import Mistake

MISTAKES = (
    Mistake(
        name="opposite-lock-order",
        edits=(("    first, second = sorted((source, target), key=lambda account: account.name)\n",
                "    first, second = source, target\n"),),
        expect="opposite lock order deadlocks",
    ),
    Mistake(
        name="second-acquire-without-timeout",
        edits=(("            if target.lock.acquire(timeout=timeout):", "            if target.lock.acquire():"),),
        expect="pass the timeout to the second acquire",
    ),
    Mistake(
        name="back-off-that-never-releases-the-first-lock",
        edits=(("""                return attempt
        # The with-block has given the first lock back: back off holding nothing.
        if backoff is not None:
            backoff(attempt)
        else:
            time.sleep(random.uniform(0, timeout))
""", """                return attempt
            if backoff is not None:
                backoff(attempt)
            else:
                time.sleep(random.uniform(0, timeout))
"""),),
        expect="back-off that never releases the first lock",
    ),
    Mistake(
        name="back-off-sleeps-longer-than-the-timeout",
        edits=(("            time.sleep(random.uniform(0, timeout))\n",
                "            time.sleep(random.uniform(0, 10 * timeout))\n"),),
        expect="expected a random moment between 0 and the timeout",
    ),
    Mistake(
        name="rlock-replaced-by-lock",
        edits=(("        self._lock = (lock_factory or RLock)()\n",
                "        self._lock = (lock_factory or threading.Lock)()\n"),),
        expect="did you guard it with a Lock instead of an RLock",
    ),
    Mistake(
        name="owner-not-checked-on-acquire",
        edits=(("""        me = threading.get_ident()
        if self._owner == me:
            self._count += 1
            return True
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count = 1
        return True
""", """        me = threading.get_ident()
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = me
        self._count += 1
        return True
"""),),
        expect="waited for its own lock",
    ),
    Mistake(
        name="owner-not-checked-on-release",
        edits=(("""        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
""", """        if self._owner is None:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
"""),),
        expect="the owner was not checked on release",
    ),
    Mistake(
        name="count-not-decremented",
        edits=(("""        self._count -= 1
        if self._count == 0:
""", """        if self._count == 1:
"""),),
        expect="is the count decremented on every release()",
    ),
    Mistake(
        name="freed-on-the-first-release",
        edits=(("""        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._lock.release()
""", """        self._count = 0
        self._owner = None
        self._lock.release()
"""),),
        expect="the lock was released while its owner still held it",
    ),
    Mistake(
        name="locked-reports-the-owner-only",  # CPython's own first RLock.locked() did this (gh-134323)
        edits=(("        return self._lock.locked()\n",
                "        return self._owner == threading.get_ident()\n"),),
        expect="not whether you do",
    ),
    Mistake(
        name="timeout-not-passed-to-the-underlying-lock",
        edits=(("        if not self._lock.acquire(blocking, timeout):\n",
                "        if not self._lock.acquire(blocking):\n"),),
        expect="pass blocking and timeout on",
    ),
    Mistake(
        name="count-reset-when-the-owner-re-enters",
        edits=(("""        if self._owner == me:
            self._count += 1
""", """        if self._owner == me:
            self._count = 1
"""),),
        expect="the lock was released while its owner still held it",
    ),
    Mistake(
        name="owner-kept-after-the-lock-is-freed",
        edits=(("""        if self._count == 0:
            self._owner = None
            self._lock.release()
""", """        if self._count == 0:
            self._lock.release()
"""),),
        expect="the owner was kept after the lock was freed",
    ),
    Mistake(
        name="ledger-guarded-by-a-plain-lock",
        edits=(("        self._lock = (lock_factory or RLock)()\n",
                "        self._lock = (lock_factory or threading.Lock)()\n"),),
        expect="did you guard it with a Lock instead of an RLock",
    ),
    Mistake(
        name="account-lock-made-without-the-factory",
        edits=(('        self.lock = lock_factory()\n',
                '        self.lock = threading.Lock()\n'),),
        expect="the test needs lock_factory to see",
    ),
    Mistake(
        name="rlock-made-without-the-factory",
        edits=(('        self._lock = lock_factory()\n        self._owner = None\n',
                '        self._lock = threading.Lock()\n        self._owner = None\n'),),
        expect="the test needs lock_factory to see",
    ),
    Mistake(
        name="balances-changed-after-the-second-lock-is-released",
        edits=(("""        with second.lock:
            source.balance -= amount
            target.balance += amount
""", """        with second.lock:
            pass
        source.balance -= amount
        target.balance += amount
"""),),
        expect="was released before the money moved",
    ),
    Mistake(
        name="timed-transfer-moves-the-money-after-releasing",
        edits=(("""                try:
                    source.balance -= amount
                    target.balance += amount
                finally:
                    target.lock.release()
                return attempt
""", """                target.lock.release()
                source.balance -= amount
                target.balance += amount
                return attempt
"""),),
        expect="was released before the money moved",
    ),
)
