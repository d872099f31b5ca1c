"""Mistakes students make with locks; each must fail tests/exercises/locks with a message naming it."""
from kata.mistakes import Mistake

CRITICAL_SECTION = """        with self._lock:
            current = self.value
            if between is not None:
                between()
            self.value = current + delta
"""

MISTAKES = (
    Mistake(
        name="no-lock",
        edits=(("        with self._lock:\n            current", "        if True:\n            current"),),
        expect="did you forget the lock",
    ),
    Mistake(
        name="lock-created-in-each-call",
        edits=(("        with self._lock:\n            current", "        with threading.Lock():\n            current"),),
        expect="make a new one inside",
    ),
    Mistake(
        name="lock-around-the-read-only",
        edits=((CRITICAL_SECTION, """        with self._lock:
            current = self.value
        if between is not None:
            between()
        self.value = current + delta
"""),),
        expect="hold the lock from the read through the write",
    ),
    Mistake(
        name="release-skipped-when-the-section-raises",
        edits=((CRITICAL_SECTION, """        self._lock.acquire()
        current = self.value
        if between is not None:
            between()
        self.value = current + delta
        self._lock.release()
"""),),
        expect="left the lock held",
    ),
    Mistake(
        name="join-inside-the-start-loop",
        edits=(("""    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
""", """    for thread in threads:
        thread.start()
        thread.join()
"""),),
        expect="did you call join() inside the start loop",
    ),
    Mistake(
        name="whole-job-under-the-lock",
        edits=(("""        result = work(name)
        with lock:
            report(name, result)
""", """        with lock:
            result = work(name)
            report(name, result)
"""),),
        expect="the whole job is under the lock",
    ),
    Mistake(
        name="report-outside-the-lock",
        edits=(("""        with lock:
            report(name, result)
""", """        report(name, result)
"""),),
        expect="call report() while holding the shared lock",
    ),
    Mistake(
        name="lock-made-inside-each-job-thread",
        edits=(("    lock = lock_factory()\n\n    def job(name):\n",
                "    def job(name):\n        lock = lock_factory()\n"),),
        expect="a lock made inside each thread protects nothing",
    ),
    Mistake(
        name="acquire-without-timeout",
        edits=(("if not self._lock.acquire(timeout=timeout):", "if not self._lock.acquire():"),),
        expect="pass the timeout to acquire()",
    ),
    Mistake(
        name="acquire-result-ignored",
        edits=(("""        if not self._lock.acquire(timeout=timeout):
            return False
""", """        self._lock.acquire(timeout=timeout)
"""),),
        expect="check acquire()'s return value",
    ),
    Mistake(
        name="busy-by-acquiring",
        edits=(("        return self._lock.locked()\n", """        if self._lock.acquire(blocking=False):
            self._lock.release()
            return False
        return True
"""),),
        expect="use lock.locked()",
    ),
    Mistake(
        name="decrement-with-a-lock-of-its-own",
        edits=(
            ("        self._lock = lock_factory()\n",
             "        self._lock = lock_factory()\n        self._decrement_lock = lock_factory()\n"),
            ("        self._add(-1, between)\n", """        with self._decrement_lock:
            current = self.value
            if between is not None:
                between()
            self.value = current - 1
"""),
        ),
        expect="increment() and decrement() must share one",
    ),
)
