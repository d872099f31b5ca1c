"""A function that cannot be pickled for a child process, explained for a student.

Under spawn and forkserver a child receives its target and arguments by
pickle, and every task of a process pool is pickled whatever the start
method. pickle sends a function as its module and name, so a lambda or a
function defined inside another function cannot go. The error surfaces in
Process.start(), or in a pool's future.result() / map(), and its type varies
by version (PicklingError, AttributeError "Can't pickle local object" /
"Can't get local object", TypeError "cannot pickle").
"""
from __future__ import annotations

import pickle
import traceback
from pathlib import Path

LESSON = (
    "a child process receives its target, its arguments and every pool task by pickle (always under spawn "
    "and forkserver, and for pool tasks under fork too), and pickle sends a function by its module and name: "
    "a lambda, or a function defined inside another function, has no name the child can import")
HINT = ("hint: define the function at the top level of your module and pass what it needs as arguments "
        "(args=, initargs=, or functools.partial of a top-level function)")


def unpicklable(exc: BaseException) -> BaseException | None:
    """The pickling failure in ``exc`` or in what caused it, if there is one."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).lower()
        if isinstance(exc, pickle.PicklingError) or (
                isinstance(exc, (AttributeError, TypeError))
                and ("pickle" in text or "local object" in text)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def explain(exc: BaseException, module_folder: Path | None = None) -> str | None:
    """The kata's explanation of a pickling failure in ``exc`` (None if it is not one).

    ``module_folder``: where the student's modules live, to say which of their lines made the call.
    """
    failure = unpicklable(exc)
    if failure is None:
        return None
    lines = [f"a function could not be pickled for a child process: {type(failure).__name__}: {failure}"]
    where = student_line(exc, module_folder) if module_folder else None
    if where:
        lines.append(f"  raised by {where}")
    lines += [LESSON, HINT]
    return "\n".join(lines)


def student_line(exc: BaseException, folder: Path) -> str | None:
    """The innermost line of the student's code in the traceback, as "path, line N: source"."""
    folder = folder.resolve()
    mine = []
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            Path(frame.filename).resolve().relative_to(folder)
        except ValueError:
            continue
        mine.append(frame)
    if not mine:
        return None
    frame = mine[-1]
    return f"{frame.filename}, line {frame.lineno}: {(frame.line or '').strip()}"
