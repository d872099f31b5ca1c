"""Mistakes students make with semaphores; each must fail tests/exercises/semaphores with a message naming it."""
from kata.mistakes import Mistake

SEMAPHORE_RELEASE = """        with self._cond:
            self._value += n
            self._cond.notify(n)

    def __enter__(self):"""

MISTAKES = (
    Mistake(
        name="notify-missing-on-release",
        edits=((SEMAPHORE_RELEASE, """        with self._cond:
            self._value += n

    def __enter__(self):"""),),
        expect="notify missing on release",
    ),
    Mistake(
        name="lock-in-place-of-a-semaphore",
        edits=(("    places = (semaphore_factory or BoundedSemaphore)(limit)\n", "    places = threading.Lock()\n"),),
        expect="a Lock in place of a Semaphore",
    ),
    Mistake(
        name="semaphore-of-limit-plus-one",
        edits=(("    places = (semaphore_factory or BoundedSemaphore)(limit)\n",
                "    places = (semaphore_factory or BoundedSemaphore)(limit + 1)\n"),),
        expect="did you make it Semaphore(limit + 1)",
    ),
    Mistake(
        name="semaphore-where-bounded-was-needed",
        edits=(("""            if self._value + n > self._initial_value:
                raise ValueError("semaphore released too many times")
""", ""),),
        expect="a plain Semaphore where a BoundedSemaphore was needed",
    ),
    Mistake(
        name="bounded-check-after-adding",
        edits=(("""            if self._value + n > self._initial_value:
                raise ValueError("semaphore released too many times")
            self._value += n
""", """            self._value += n
            if self._value > self._initial_value:
                raise ValueError("semaphore released too many times")
"""),),
        expect="raise before you change the value",
    ),
    Mistake(
        name="timeout-ignored",
        edits=(("                self._cond.wait(timeout)\n", "                self._cond.wait()\n"),),
        expect="the timeout was ignored",
    ),
    Mistake(
        name="non-blocking-acquire-waits",
        edits=(("""                if not blocking:
                    return False
""", ""),),
        expect="a non-blocking acquire must return False at once",
    ),
    Mistake(
        name="release-n-wakes-only-one",
        edits=((SEMAPHORE_RELEASE, SEMAPHORE_RELEASE.replace("notify(n)", "notify()")),),
        expect="release(n) must wake n waiters",
    ),
    Mistake(
        name="if-instead-of-while-around-wait",
        edits=(("            while self._value == 0:\n", "            if self._value == 0:\n"),),
        expect="wait in a while loop",
    ),
    Mistake(
        name="full-timeout-after-each-wake-up",
        edits=(("""                if timeout is not None:
                    if deadline is None:
                        deadline = time.monotonic() + timeout
                    else:
                        timeout = deadline - time.monotonic()
                        if timeout <= 0:
                            return False
                self._cond.wait(timeout)
""", """                if not self._cond.wait(timeout):
                    return False
"""),),
        expect="restarted its full timeout after a wake-up",
    ),
    Mistake(
        name="bounded-release-checks-only-for-full",
        edits=(("            if self._value + n > self._initial_value:\n",
                "            if self._value >= self._initial_value:\n"),),
        expect="a bound can be passed from below",
    ),
    Mistake(
        name="bounded-release-checks-as-if-n-were-one",
        edits=(("            if self._value + n > self._initial_value:\n",
                "            if self._value + 1 > self._initial_value:\n"),),
        expect="a bound can be passed from below",
    ),
    Mistake(
        name="semaphore-made-in-each-thread",
        edits=(("""    places = (semaphore_factory or BoundedSemaphore)(limit)

    def job(name):
        with places:
""", """    def job(name):
        with (semaphore_factory or BoundedSemaphore)(limit):
"""),),
        expect="a semaphore made inside each thread has its own places",
    ),
    Mistake(
        name="run-limited-joins-only-the-last-thread",
        edits=(("""    for thread in threads:
        thread.join()
""", """    threads[-1].join()
"""),),
        expect="not only the last one",
    ),
    Mistake(
        name="condition-made-without-the-factory",
        edits=(('        self._cond = condition_factory()\n',
                '        self._cond = threading.Condition()\n'),),
        expect="the test needs condition_factory to see",
    ),
)
