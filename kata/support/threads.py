"""Work that the threads topic's tests hand to threads and child processes.

Child processes under spawn and forkserver re-import their target by name, so
the work lives here, at module level, rather than inside a test. Under
--sandbox a test takes this module from the sandbox (kata.boundary.support), so
the work runs, and the data it changes stays, in the process of the code under
test.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from kata import bounds, caller


class Data(dict):
    """The dict a test hands the work: a dict, but not plain data, so it crosses the sandbox by reference.

    A thread that changes it changes the very dict the test reads back; a child
    process gets its own copy, as it would get of any dict.
    """


def note_visit(data: dict) -> None:
    """Append (pid, thread ident) to data["visits"]; if data has a "report" path, write the visit there too.

    The report file is how a child process tells the test that it ran, and what
    its own copy of ``data`` looked like afterwards: its list never comes back.
    """
    # The thread as the test knows it: a call made right in the calling thread is served in the sandbox
    # on the test thread's behalf, and names the test's thread (kata.caller).
    visit = (os.getpid(), caller.ident())
    data["visits"].append(visit)
    report = data.get("report")
    if report:
        temporary = Path(f"{report}.partial")
        temporary.write_text(json.dumps({"pid": visit[0], "ident": visit[1], "visits": len(data["visits"])}),
                             encoding="utf-8")
        temporary.replace(report)


def visit_and_wait(data: dict) -> None:
    """note_visit(data), then set data["entered"] and wait (bounded) until the test sets data["release"]."""
    note_visit(data)
    data["entered"].set()
    data["release"].wait(bounds.HELD)


def read_report(path) -> dict | None:
    """What note_visit() wrote at ``path``, or None if nothing ever wrote it."""
    path = Path(path)
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
