"""The kata's bounded waits in the test's child processes, which the test's stall detector can end.

A child's kata wait (a support gate, a rendezvous) would otherwise look to the
detector (kata.stall) like the code under test's own timed wait, which it lets
run out. So the child registers it in a folder the test's process made (its
path in the environment, which every start method hands down): one file per
waiting thread, named by pid and thread id, holding the wait's deadline. To end
it, the detector marks the file and sends the child a signal; the child's
handler raises ``Cut`` in its main thread, inside the wait, and the wait then
answers as it would have at its bound. Only a child's main thread registers
(only it runs signal handlers), and only on Linux (the proof needs /proc).

This module is imported by the work children run: it stays light (no psutil).
"""
from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

REGISTRY_ENV = "KATA_STALL_WAITS"
SIGNAL = signal.SIGUSR2  # kata.stall's signal: in a child, nothing else listens to it
_owner: int | None = None  # the pid of the process whose detector reads the folder


class Cut(Exception):
    """Raised inside a child's kata wait: the test's detector ended it, as if its bound had run out."""


def open_registry() -> None:
    """Make this process the one whose children register their kata waits (a folder of its own).

    Nested sessions (pytest run inside pytest) share the outer one's folder; folders left by
    processes that ended without closing theirs (killed at a hard limit) are swept away here.
    """
    import tempfile  # here, not at the top: children import this module, and only the test's process needs it

    global _owner, _opened
    if _owner == os.getpid() and os.environ.get(REGISTRY_ENV):
        _opened += 1
        return
    _sweep(tempfile.gettempdir())
    os.environ[REGISTRY_ENV] = tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-")
    _owner, _opened = os.getpid(), 1


def close_registry() -> None:
    import shutil

    global _owner, _opened
    if _owner != os.getpid():
        return
    _opened -= 1
    if _opened > 0:
        return
    folder = os.environ.pop(REGISTRY_ENV, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    _owner = None


_PREFIX = "kata-waits-"
_opened = 0  # how many sessions of this process use the folder


def _sweep(temporary: str) -> None:
    import shutil

    try:
        names = [name for name in os.listdir(temporary) if name.startswith(_PREFIX)]
    except OSError:
        return
    for name in names:
        try:
            pid = int(name[len(_PREFIX):].split("-")[0])
        except ValueError:
            continue
        folder = os.path.join(temporary, name)
        try:
            # Old as well: a process in another pid namespace may be alive without showing in /proc here.
            stale = pid != os.getpid() and not os.path.exists(f"/proc/{pid}") and \
                time.time() - os.stat(folder).st_mtime > 600
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


def in_a_child() -> bool:
    """Whether the caller is the main thread of a child of a process with a registry."""
    return bool(os.environ.get(REGISTRY_ENV)) and _owner != os.getpid() and sys.platform.startswith("linux") \
        and threading.current_thread() is threading.main_thread()


def barrier_wait(barrier: threading.Barrier, what: str) -> int:
    """``barrier.wait()``; in a child's main thread, ended early, it breaks the barrier as its timeout does."""
    if not in_a_child():
        return barrier.wait()
    timeout = barrier._timeout if barrier._timeout is not None else None
    try:
        with registered(timeout, what):
            return barrier.wait()
    except Cut:
        barrier.abort()  # what the barrier does at its timeout: the others fail too
        raise threading.BrokenBarrierError from None


def event_wait(event, timeout: float | None, what: str) -> bool:
    """``event.wait(timeout)``; in a child's main thread, one the test's detector can end early.

    Ended early, it returns False, as at its timeout. Anywhere else it is a plain ``event.wait``.
    """
    if not in_a_child():
        return event.wait(timeout)
    try:
        with registered(timeout, what):
            return event.wait(timeout)
    except Cut:
        return False


_armed = None  # (path, deadline) of the main thread's registered wait, while the detector may end it


def _on_cut_signal(signum, frame) -> None:
    if _armed is None:
        return
    path, deadline = _armed
    try:
        with open(f"{path}.cut", encoding="utf-8") as file:
            marked = file.read()
    except OSError:
        return
    if marked == repr(deadline):  # this wait's mark, not one meant for an earlier wait of the thread
        raise Cut()


@contextmanager
def registered(timeout: float | None, what: str):
    """Around a wait in a child's main thread: register it; the detector may raise Cut inside."""
    global _armed
    folder = os.environ[REGISTRY_ENV]
    deadline = math.inf if timeout is None else time.monotonic() + max(timeout, 0)
    path = os.path.join(folder, f"{os.getpid()}-{threading.get_native_id()}")
    if signal.getsignal(SIGNAL) is not _on_cut_signal:
        signal.signal(SIGNAL, _on_cut_signal)
    try:
        if os.path.exists(f"{path}.cut"):
            os.unlink(f"{path}.cut")
        with open(f"{path}.partial", "w", encoding="utf-8") as file:
            file.write(f"{deadline!r}\n{_started(os.getpid())}\n{what}")
        os.replace(f"{path}.partial", path)
    except OSError:  # no registry (the test's folder is gone): a plain wait
        yield
        return
    try:
        _armed = path, deadline
        yield
    finally:
        _armed = None
        for name in (path, f"{path}.cut"):
            try:
                os.unlink(name)
            except OSError:
                pass


def _started(pid: int) -> str:
    """When ``pid`` started (clock ticks since boot): a pid reused by another process differs."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


# -- the detector's side ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ChildWait:
    pid: int
    tid: int
    what: str
    deadline: float
    path: str


def child_waits(children) -> dict[tuple[int, int], ChildWait]:
    """The kata waits registered now by ``children`` (pids), by (pid, tid)."""
    folder = os.environ.get(REGISTRY_ENV)
    if not folder or _owner != os.getpid():
        return {}
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    found = {}
    for name in names:
        try:
            pid, tid = (int(part) for part in name.split("-"))
        except ValueError:
            continue  # a .cut mark, or a file being written
        if pid not in children:
            continue
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as file:
                deadline, started, what = file.read().split("\n", 2)
            if started != _started(pid):
                continue
            found[pid, tid] = ChildWait(pid, tid, what, float(deadline), os.path.join(folder, name))
        except (OSError, ValueError):
            continue
    return found


def cut_child(wait: ChildWait) -> bool:
    """Mark a child's kata wait as ended and tell the child; False when it is gone meanwhile."""
    try:
        with open(f"{wait.path}.cut", "w", encoding="utf-8") as file:
            file.write(repr(wait.deadline))
        if not os.path.exists(wait.path):
            return False
        os.kill(wait.pid, SIGNAL)
    except OSError:
        return False
    return True
