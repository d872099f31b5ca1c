"""Draw a stall: who waits for what, where in the student's module, and the likely mistake.

Only called once the kernel has proven that nobody can move (kata.stall); the
frames read here describe that state, they never decide it.
"""
from __future__ import annotations

import linecache
import re
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

from kata import stall
from kata.frames import other_threads_frames

# Wait graphs (kata.support.deadlocks) in use: they know who holds which watched lock.
graphs: weakref.WeakSet = weakref.WeakSet()


@dataclass
class Waiter:
    thread: threading.Thread
    doing: str             # "joins 'egon'", "waits, with no timeout, for a lock", ...
    where: str             # "locks.py:31 in increment: with self._lock:" or ""
    joins: threading.Thread | None = None
    bounded: stall.BoundedWait | None = None
    wants: str | None = None  # the lock it waits for, as the source names it (a guess, for the hint)
    holds: frozenset = frozenset()  # the locks it seems to hold already (a guess, for the hint)


def name_of(thread: threading.Thread) -> str:
    return "the test's main thread" if thread is threading.main_thread() else repr(thread.name)


def _in_tree(filename: str, tree: Path) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(tree)
    except (OSError, ValueError):
        return False


def student_line(frame, tree: Path) -> str:
    """The innermost place in the code under test that this stack passes through."""
    while frame is not None:
        code = frame.f_code
        if _in_tree(code.co_filename, tree):
            source = linecache.getline(code.co_filename, frame.f_lineno).strip()
            return f"{Path(code.co_filename).name}:{frame.f_lineno} in {code.co_name}" + (
                f": {source}" if source else "")
        frame = frame.f_back
    return ""


_LOCK_TAKEN = re.compile(r"with\s+([\w.]+)\s*:|([\w.]+)\.acquire\(")


def locks_around(frame, tree: Path) -> tuple[str | None, set[str]]:
    """The lock this stack waits to take, and the locks it seems to hold already, read from the source.

    The innermost line of the code under test takes ``name`` (``with name:`` or
    ``name.acquire(``); held are the names taken by with-blocks around that line
    and, earlier in their bodies, by outer calls with the same ``self``. A guess
    to name a likely mistake, never a verdict.
    """
    while frame is not None and not _in_tree(frame.f_code.co_filename, tree):
        frame = frame.f_back
    if frame is None:
        return None, set()
    here = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    taken = _LOCK_TAKEN.search(here)
    if taken is None:
        return None, set()
    name, me, held = taken.group(1) or taken.group(2), frame.f_locals.get("self"), set()
    indent = len(here) - len(here.lstrip())
    for line in range(frame.f_code.co_firstlineno, frame.f_lineno):
        text = linecache.getline(frame.f_code.co_filename, line)
        found = _LOCK_TAKEN.search(text)
        if found and len(text) - len(text.lstrip()) < indent:
            held.add(found.group(1) or found.group(2))
    outer = frame.f_back
    while outer is not None:
        code = outer.f_code
        if _in_tree(code.co_filename, tree) and me is not None and outer.f_locals.get("self") is me:
            for line in range(code.co_firstlineno, outer.f_lineno):
                found = _LOCK_TAKEN.search(linecache.getline(code.co_filename, line))
                if found:
                    held.add(found.group(1) or found.group(2))
        outer = outer.f_back
    return name, held


def what_it_waits_in(frame, bounded: stall.BoundedWait | None, tree: Path):
    if bounded is not None:
        return bounded.what, None
    innermost = frame
    while frame is not None:
        code, module = frame.f_code, Path(frame.f_code.co_filename).name
        owner = frame.f_locals.get("self")
        if code.co_name in ("acquire", "__enter__") and hasattr(owner, "release") and \
                module not in ("threading.py", "queue.py"):
            return "waits, with no timeout, for a lock", None
        if module == "threading.py" and code.co_name == "join":
            joined = frame.f_locals.get("self")
            name = name_of(joined) if isinstance(joined, threading.Thread) else "a thread"
            return f"joins {name}, with no timeout", joined if isinstance(joined, threading.Thread) else None
        if module == "queue.py" and code.co_name in ("get", "put", "join"):
            return f"waits, with no timeout, in Queue.{code.co_name}()", None
        if "multiprocessing" in code.co_filename:
            if module == "process.py" and code.co_name == "join":
                name = getattr(owner, "name", "a process")
                return f"joins the child process {name!r}, with no timeout", None
            if module == "queues.py" and code.co_name in ("get", "put", "join"):
                return f"waits, with no timeout, in a process queue's {code.co_name}()", None
        if module == "threading.py" and code.co_name == "wait":
            return f"waits, with no timeout, in {type(owner).__name__}.wait()", None
        frame = frame.f_back
    if innermost is not None and _in_tree(innermost.f_code.co_filename, tree):
        return "waits, with no timeout, for a lock", None
    return "waits, with no timeout", None


def _in_the_sandbox() -> dict[str, tuple]:
    """Under --sandbox: what the sandbox reports of its threads inside the code under test, by the name of
    the test's thread each serves (data for a picture, never a proof)."""
    session = sys.modules.get("kata.sandbox.session")  # imported only by --sandbox
    sandbox = session.running() if session is not None else None
    if sandbox is None:
        return {}
    return {name: (doing, where, wants, holds) for name, doing, where, wants, holds in sandbox.waits()}


def waiters(tids, tree: Path, timed=None) -> list[Waiter]:
    """What each thread waits in; ``timed`` maps the ids of threads in a timed wait to its deadline."""
    timed = timed or {}
    by_tid = {thread.native_id: thread for thread in threading.enumerate()}
    frames = other_threads_frames()
    with stall._waits_lock:
        bounded = dict(stall._waits)
    reported = _in_the_sandbox()
    found = []
    for tid in sorted(tids, key=lambda tid: (tid != threading.main_thread().native_id, tid)):
        thread = by_tid.get(tid)
        if thread is None:
            continue
        frame = frames.get(thread.ident)
        doing, joins = what_it_waits_in(frame, bounded.get(tid), tree)
        if tid in timed:
            left = timed[tid] - time.monotonic()
            doing = doing.replace("with no timeout", f"with a timeout (at least {left:.1f} s left)")
        wants, holds = locks_around(frame, tree) if "for a lock" in doing else (None, set())
        where = student_line(frame, tree)
        if not where and bounded.get(tid) is None and thread.name in reported:
            # It waits for a call into the sandbox: what that call waits in there, as the sandbox tells.
            doing, where, wants, holds = reported.pop(thread.name)
        found.append(Waiter(thread, doing, where, joins, bounded.get(tid), wants, frozenset(holds)))
    return found


def likely_mistake(found: list[Waiter], cycle: list[str] | None) -> str:
    if cycle:
        if len(cycle) == 1:
            return "a thread waits for a Lock it already holds: a Lock is not re-entrant — use an RLock"
        return "each thread holds one lock and waits for another's: take the locks in one agreed order"
    for waiter in found:
        if waiter.wants is not None and waiter.wants in waiter.holds:
            return (f"{name_of(waiter.thread)} waits for `{waiter.wants}`, which it already holds (taken by an "
                    "enclosing with-block or an outer call): a Lock is not re-entrant, even for the thread that "
                    "holds it — use an RLock")
    crossing = [w for w in found if w.wants is not None and w.holds - {w.wants}]
    if len(crossing) >= 2:
        return ("each of " + ", ".join(name_of(w.thread) for w in crossing) + " holds one lock and waits for "
                "another's: take the locks in one agreed order (for example sorted by name)")
    by_thread = {w.thread: w for w in found}
    for waiter in found:
        joined = by_thread.get(waiter.joins)
        if joined is not None and joined.bounded is not None and "rendezvous" in joined.bounded.what:
            return (f"{name_of(waiter.thread)} joins {name_of(joined.thread)} while {name_of(joined.thread)} "
                    "waits at the rendezvous for workers that were never started: did you call join() inside "
                    "the start loop?")
    if found and all("for a lock" in w.doing for w in found if w.bounded is None) and \
            any(w.bounded is None for w in found):
        return ("threads wait, with no timeout, for a lock that no thread will release: is a lock acquired "
                "and not released on some path (use `with lock:`), taken twice by one thread (a Lock is not "
                "re-entrant), or are two locks taken in opposite orders?")
    return "every thread waits for another: look at what each one waits for, above"


def describe(tids, tree: Path, timed=None) -> str:
    found = waiters(tids, tree, timed)
    lines = ["nobody in this test can move: every thread waits for something only another of them could do"]
    for waiter in found:
        where = f"\n      at {waiter.where}" if waiter.where else ""
        lines.append(f"  {name_of(waiter.thread)} {waiter.doing}{where}")
    cycle = None
    for graph in list(graphs):
        cycle = graph.deadlock()
        if cycle:
            lines += [f"  {line}" for line in cycle]
            break
    lines.append(f"likely mistake: {likely_mistake(found, cycle)}")
    return "\n".join(lines)


def locate(tids, tree: Path, quiet: bool = False) -> str | None:
    """Where each of the test's threads is in the code under test right now (one line each).

    With ``quiet``, None when none of them is there (instead of saying so).
    """
    by_tid = {thread.native_id: thread for thread in threading.enumerate()}
    frames = other_threads_frames()
    reported = _in_the_sandbox()
    lines = []
    for tid in sorted(tids, key=lambda tid: (tid != threading.main_thread().native_id, tid)):
        thread = by_tid.get(tid)
        where = student_line(frames.get(thread.ident), tree) if thread is not None else ""
        if not where and thread is not None and thread.name in reported:
            where = reported.pop(thread.name)[1]
        if where:
            lines.append(f"  {name_of(thread)} was at {where}")
    if not lines and quiet:
        return None
    return "\n".join(lines) or "  none of the test's threads was inside your module"
