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


def thread_key():
    """Something that tells the calling thread apart from every other, for as long as it is kept."""
    identity = _identity()
    return ("thread", identity[2], identity[3]) if identity else threading.current_thread()


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
