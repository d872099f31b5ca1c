"""Who is calling: the thread and process that run a piece of work a test handed out.

Tests record these inside work callbacks. In one process they are simply the
current thread's and process's. Under ``--sandbox`` a callback runs in a judge
thread that serves one sandbox thread; the sandbox sends that thread's name,
ident and pid with each call, and these functions answer with them, so a test
reads the same thing in both modes.
"""
from __future__ import annotations

import itertools
import os
import threading

_serving = threading.local()  # set by kata.sandbox.bridge while a thread serves a call from the other side
_serials = itertools.count(1)
_own = threading.local()


def _identity():
    return getattr(_serving, "identity", None)


def serial() -> int:
    """A number for the calling thread that no other thread of its process ever gets."""
    identity = _identity()
    if identity:
        return identity[3]
    if not hasattr(_own, "serial"):
        _own.serial = next(_serials)
    return _own.serial


def thread_name() -> str:
    identity = _identity()
    return identity[0] if identity else threading.current_thread().name


def ident() -> int:
    identity = _identity()
    return identity[1] if identity else threading.get_ident()


def pid() -> int:
    identity = _identity()
    return identity[2] if identity else os.getpid()


def daemon() -> bool:
    """Whether the calling thread is a daemon (so threads it starts are daemons by default)."""
    identity = _identity()
    return identity[4] if identity else threading.current_thread().daemon


def is_main() -> bool:
    """Whether the calling thread is its process's main thread (the judge's, for a call from the sandbox)."""
    identity = _identity()
    return identity[5] if identity else threading.current_thread() is threading.main_thread()


def thread_key():
    """Something that tells the calling thread apart from every other, for as long as it is kept.

    A judge thread and the judge thread that serves a call made on its behalf
    (it called into the sandbox, the sandbox called back) have the same key.
    """
    return ("thread", pid(), serial())


class RLock:
    """A reentrant lock whose owner is the calling thread as this module tells it.

    In one process it behaves as threading.RLock. Under ``--sandbox`` a test
    thread that holds it and calls into the code under test, which calls back
    and takes it again, re-enters it, as one thread would in one process,
    although another judge thread serves the call back. It has what
    threading.Condition asks of a lock (``_is_owned``, ``_release_save``,
    ``_acquire_restore``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = thread_key()
        if self._owner == me:
            self._count += 1
            return True
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner, self._count = me, 1
        return True

    __enter__ = acquire

    def release(self) -> None:
        if self._owner != thread_key():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._lock.release()

    def __exit__(self, *exc) -> None:
        self.release()

    def locked(self) -> bool:  # threading.Condition takes it from its lock since 3.14
        return self._lock.locked()

    def _is_owned(self) -> bool:
        return self._owner == thread_key()

    def _release_save(self):
        state = (self._owner, self._count)
        self._owner, self._count = None, 0
        self._lock.release()
        return state

    def _acquire_restore(self, state) -> None:
        self._lock.acquire()
        self._owner, self._count = state


def live_thread_names() -> list[str]:
    """The names of the threads alive in the calling process (the sandbox's, for a sandbox call)."""
    if _identity() is not None:
        from kata.sandbox import session

        sandbox = session.running()
        if sandbox is not None:
            return [name for name, _ in sandbox.reported_threads().values()]
    return [t.name for t in threading.enumerate() if t.is_alive()]


def joins_waiting() -> list[tuple[object, bool]]:
    """The Thread.join() calls waiting right now for the calling thread, each as (key, has a timeout).

    A key stands for one join() call for as long as the test runs. Under
    ``--sandbox`` the sandbox looks at its own frames and reports plain data;
    a sandbox that cannot say reports no join, so a worker held until it is
    joined stays held (the test fails, never passes, for want of a report).
    """
    identity = _identity()
    if identity is None:
        from kata import probes_join

        return probes_join.joins_of(threading.get_ident())
    from kata.sandbox import session

    sandbox = session.running()
    return sandbox.joins_waiting_for(identity[1]) if sandbox is not None else []
