"""The standard library's own refusals, explained for a student.

Calling the threading, multiprocessing or concurrent.futures API out of order
ends in a terse error ("cannot join thread before it is started") whose
traceback points into the library. When one of these escapes a test, the
kata keeps the error's line and adds what it means and which line of the
student's module made the call. They are known by exact type and words, the
same on every supported Python; under --sandbox an error crosses as its
builtin type and message, so the explanation is the same there (without the
line: the student's frames stay in the sandbox).
"""
from __future__ import annotations

from pathlib import Path

from kata.pickling import student_line

# (exception type, the words the library uses on every supported Python) -> what it means
REFUSALS = {
    (RuntimeError, "cannot join thread before it is started"):
        "join() was called on a thread that was never started: start() every thread first, then join them "
        "(one loop that starts them all, then a second loop that joins them all)",
    (RuntimeError, "threads can only be started once"):
        "start() was called twice on the same Thread: a Thread runs once; make a new Thread for each run",
    (RuntimeError, "cannot join current thread"):
        "a thread called join() on itself: join() waits for another thread to end, and a thread cannot wait "
        "for its own end",
    (RuntimeError, "release unlocked lock"):
        "release() of a Lock that nobody held: release only a lock that was acquired, once (a with-block "
        "does both for you)",
    (RuntimeError, "cannot release un-acquired lock"):
        "release() of an RLock by a thread that does not hold it: only the thread that acquired an RLock "
        "may release it, once per acquire",
    (RuntimeError, "cannot schedule new futures after shutdown"):
        "submit() to a pool that was already shut down: submit every task inside the pool's with-block (the "
        "block's end shuts the pool down)",
    (AssertionError, "can only join a started process"):
        "join() was called on a process that was never started: start() every process first, then join them",
    (AssertionError, "cannot start a process twice"):
        "start() was called twice on the same Process: a Process runs once; make a new one for each run",
}


def explain(exc: BaseException, module_folder: Path | None = None) -> str | None:
    """The kata's explanation of a refusal by the library in ``exc`` (None if it is not one)."""
    lesson = REFUSALS.get((type(exc), str(exc)))
    if lesson is None:
        return None
    lines = [f"{type(exc).__name__}: {exc}"]
    where = student_line(exc, module_folder) if module_folder else None
    if where:
        lines.append(f"  called by {where}")
    lines.append(lesson)
    return "\n".join(lines)

