"""What a test asks of the code under test's objects and clock, the same in one process and under --sandbox.

In one process these are plain ``isinstance``, freezegun and a patched
``time.sleep``. Under ``--sandbox`` the object lives in the sandbox and so do
the clock, the sleep and the random numbers the module uses: the question is
asked there, and only a well-formed answer counts (anything else the sandbox
answers makes the test fail, never pass).
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from pathlib import Path


def _sandbox_session():
    session = sys.modules.get("kata.sandbox.session")  # imported only by --sandbox
    return session if session is not None and session.enabled() else None


def is_a(obj, cls: type) -> bool:
    """isinstance(obj, cls); for an object in the sandbox, asked of the sandbox's own class of that name."""
    bridge = sys.modules.get("kata.sandbox.bridge")
    if bridge is None or not isinstance(obj, bridge.RemoteObject):
        return isinstance(obj, cls)
    answer = obj._kata_invoke("instance_of", f"{cls.__module__}.{cls.__qualname__}")
    if type(answer) is not bool:
        raise bridge.SandboxObjectError(f"the sandbox answered {type(answer).__name__} to isinstance(), "
                                        "not True or False")
    return answer


def strict_bool(answer, question: str) -> bool:
    """``answer``, if it is True or False; ``question`` ("whether the lock is held") says what it answers."""
    if type(answer) is not bool:
        raise ValueError(f"the test could not tell {question} (it was answered {type(answer).__name__}, "
                         "not True or False)")
    return answer


class _SandboxFreeze:
    """The sandbox's frozen clock, moved on by the test as freezegun's is."""

    def __init__(self, sandbox) -> None:
        self._sandbox = sandbox

    def tick(self, seconds: float) -> None:
        _expect_done(self._sandbox.peer.call_plain("tick", float(seconds)), "move the frozen clock")


def _expect_done(reply, what: str) -> None:
    if reply is not True:
        from kata.sandbox import bridge

        raise bridge.SandboxGone(f"the sandbox did not {what} (it answered {type(reply).__name__})")


@contextlib.contextmanager
def frozen_time(when: str):
    """freezegun's freeze_time(when) for the clock the code under test reads; ``tick(s)`` moves it on."""
    session = _sandbox_session()
    if session is None:
        from freezegun import freeze_time

        with freeze_time(when) as frozen:
            yield frozen
        return
    sandbox = session.current()
    _expect_done(sandbox.peer.call_plain("freeze", str(when)), "freeze its clock")
    try:
        yield _SandboxFreeze(sandbox)
    finally:
        sandbox.peer.call_plain("unfreeze")


# -- the process the code under test runs in ---------------------------------------

def support(module):
    """A kata support module (kata.support.*) as the code under test's process has it.

    The work and data a test hands to the module's threads and children must
    live where they run: in one process this is ``module`` itself; under
    ``--sandbox`` it is a proxy of the sandbox's own import of it, so its
    functions run there and what its classes make stays there.
    """
    session = _sandbox_session()
    return module if session is None else session.current().support(module.__name__)


def process_id() -> int:
    """os.getpid() of the process the code under test runs in (the sandbox's, read from /proc)."""
    session = _sandbox_session()
    return os.getpid() if session is None else session.current().process_id()


def forkserver_pid() -> int:
    """The pid of the fork server that forkserver children are forked from, as the code under test sees it."""
    session = _sandbox_session()
    if session is None:
        from multiprocessing import forkserver

        return forkserver._forkserver._forkserver_pid
    return session.current().forkserver_pid()


def thread_ident() -> int:
    """threading.get_ident() as the code under test sees the calling thread.

    Under ``--sandbox`` a thread's calls are served by one sandbox thread of its
    own (the main thread's by the sandbox's main thread), whose ident this is.
    """
    session = _sandbox_session()
    return threading.get_ident() if session is None else session.current().thread_ident()


def is_inside(thread: threading.Thread, *functions) -> bool:
    """Whether ``thread``'s call into the code under test runs one of ``functions`` now (Thread.join, ...)."""
    session = _sandbox_session()
    if session is None:
        from kata import probes_join

        return probes_join.is_inside(thread, *functions)
    names = [f"{function.__module__}.{function.__qualname__}" for function in functions]
    return session.current().peer.call_plain("inside", thread.ident, names) is True


def writable_dir(tmp_path: Path) -> Path:
    """A folder the code under test may write in: ``tmp_path``, or under --sandbox one in the sandbox's box."""
    session = _sandbox_session()
    if session is None:
        return tmp_path
    return Path(tempfile.mkdtemp(prefix="test-", dir=session.current().box))


class _Sleeps:
    """The lengths one thread asked time.sleep() for, recorded instead of slept."""

    def __init__(self, read) -> None:
        self._read = read

    def seen(self) -> list[float]:
        return self._read()


def _plain_lengths(reply) -> list[float]:
    if type(reply) is not list or any(type(seconds) not in (int, float) for seconds in reply):
        from kata.sandbox import bridge

        raise bridge.SandboxGone(f"the sandbox did not say how long the code under test slept "
                                 f"(it answered {type(reply).__name__})")
    return list(reply)


@contextlib.contextmanager
def recorded_sleeps(thread_name: str, seed: int):
    """time.sleep() of the thread named ``thread_name`` is recorded, not slept; the module's random is seeded.

    Other threads sleep as usual. ``seen()`` gives the lengths asked for; the
    random state is put back afterwards (in one process it is the test's own).
    """
    session = _sandbox_session()
    if session is None:
        from kata.probes import SleepRecorder

        recorder = SleepRecorder(thread_name, seed)
        try:
            yield _Sleeps(lambda: list(recorder.slept))
        finally:
            recorder.stop()
        return
    sandbox = session.current()
    _expect_done(sandbox.peer.call_plain("record_sleeps", str(thread_name), int(seed)), "record its sleeps")
    try:
        yield _Sleeps(lambda: _plain_lengths(sandbox.peer.call_plain("sleeps")))
    finally:
        sandbox.peer.call_plain("stop_recording_sleeps")
