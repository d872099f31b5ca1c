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
)
