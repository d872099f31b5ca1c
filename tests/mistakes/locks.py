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
    Mistake(
        name="write-after-the-release",
        edits=((CRITICAL_SECTION, """        with self._lock:
            current = self.value
            if between is not None:
                between()
        self.value = current + delta
"""),),
        expect="the write came after the release",
    ),
    Mistake(
        name="counter-lock-made-without-the-factory",
        edits=(("        self._lock = lock_factory()\n", "        self._lock = threading.Lock()\n"),),
        expect="the test needs lock_factory to see the lock",
    ),
    Mistake(
        name="run-jobs-lock-made-without-the-factory",
        edits=(("    lock = lock_factory()\n\n    def job(name):\n",
                "    lock = threading.Lock()\n\n    def job(name):\n"),),
        expect="the test needs lock_factory to see the lock",
    ),
    Mistake(
        name="run-jobs-joins-only-the-last-thread",
        edits=(("""    for thread in threads:
        thread.join()
""", """    threads[-1].join()
"""),),
        expect="not only the last one",
    ),
    Mistake(
        name="run-jobs-joins-before-starting",
        edits=(("""    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
""", """    for thread in threads:
        thread.join()
    for thread in threads:
        thread.start()
"""),),
        expect="join() was called on a thread that was never started",
    ),
    Mistake(
        name="run-jobs-never-joins",
        edits=(("""    for thread in threads:
        thread.join()
""", ""),),
        expect="join every thread you started",
    ),
    Mistake(
        name="run-jobs-join-timeout-taken-as-finished",
        edits=(("""    for thread in threads:
        thread.join()
""", """    for thread in threads:
        thread.join(timeout=0.2)
"""),),
        expect="a join() that times out does not mean the thread has finished",
    ),
    Mistake(
        name="try-increment-releases-a-lock-it-failed-to-get",
        edits=(("""        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            self.value += 1
        finally:
            self._lock.release()
        return True
""", """        got = self._lock.acquire(timeout=timeout)
        try:
            if got:
                self.value += 1
        finally:
            self._lock.release()
        return got
"""),),
        expect="release only a lock you acquired",
    ),
    Mistake(
        name="try-increment-never-waits",
        edits=(("if not self._lock.acquire(timeout=timeout):", "if not self._lock.acquire(blocking=False):"),),
        expect="acquire(blocking=False) never waits",
    ),
    Mistake(
        name="timeout-passed-as-blocking",
        edits=(("if not self._lock.acquire(timeout=timeout):", "if not self._lock.acquire(timeout):"),),
        expect="pass the timeout to acquire()",
    ),
)
