"""The multiprocessing context the process topics hand to the code under test.

Under fork, the default before Python 3.14, three mistakes pass unseen that
spawn and forkserver expose, and a test that passes the platform's default
context cannot tell whether the code used it at all. ``SpyContext`` is a real
context of the chosen start method that closes those gaps under every start
method:

- each Process it builds must send its target and arguments the way spawn and
  forkserver do, pickled, so a lambda, a closure or a thread lock fails under
  fork too, at once, with the reason;
- it records every Process it built and every join() on them, so code that
  calls multiprocessing.Process(...) or makes a pool without mp_context, and
  so builds nothing here, is seen;
- ``shared_globals`` finds queues, locks and values that a module keeps at
  module level, which each spawned child would make afresh.
"""
from __future__ import annotations

import io
import multiprocessing
import pickle
import os
import sys
import weakref
from concurrent.futures import process as futures_process
from multiprocessing import connection, context, queues, reduction, sharedctypes, synchronize

from kata import seam

_LIVE: weakref.WeakValueDictionary[int, SpyContext] = weakref.WeakValueDictionary()


class _Recorded:
    """A Process that tells the SpyContext which built it about each join() (in the parent only)."""

    _kata_context = 0  # id of the SpyContext that built it; in a child the registry is empty

    def join(self, timeout=None):
        spy = _LIVE.get(self._kata_context)
        if spy is not None:
            spy.joins.append((self, timeout))
            for hook in spy.join_hooks:
                hook(self, timeout)
        super().join(timeout)


# Module-level classes, so that spawn and forkserver children can unpickle the Process object.
class RecordedForkProcess(_Recorded, context.ForkProcess):
    pass


class RecordedSpawnProcess(_Recorded, context.SpawnProcess):
    pass


class RecordedForkServerProcess(_Recorded, context.ForkServerProcess):
    pass


_CLASSES = {"fork": RecordedForkProcess, "spawn": RecordedSpawnProcess, "forkserver": RecordedForkServerProcess}


class _ChildPickler(reduction.ForkingPickler):
    """Pickles what a spawned child is sent; multiprocessing's own objects pass as they would while spawning."""

    def persistent_id(self, obj):
        kind = type(obj)
        if kind in reduction.ForkingPickler._extra_reducers or kind.__module__.startswith(
                ("multiprocessing.", "concurrent.futures.")) or isinstance(obj, SpyContext):
            return id(obj)
        return None


class SpyContext:
    """A real multiprocessing context of ``method`` that checks and records every Process it builds."""

    def __init__(self, method: str) -> None:
        self._real = multiprocessing.get_context(method)
        self.built: list[multiprocessing.process.BaseProcess] = []  # every Process made here, in order
        self.joins: list[tuple] = []  # (process, timeout) for each join() on one of them
        self.join_hooks: list = []  # called as hook(process, timeout) before each such join()
        self._made: list[tuple] = []  # (process, target, args) as each was built
        _LIVE[id(self)] = self

    def Process(self, group=None, target=None, name=None, args=(), kwargs=None, *, daemon=None):  # noqa: N802
        kwargs = {} if kwargs is None else kwargs
        _check_sendable(target, args, kwargs, self.get_start_method())
        process = _CLASSES[self.get_start_method()](group, target, name, args, kwargs, daemon=daemon)
        process._kata_context = id(self)
        self.built.append(process)
        self._made.append((process, target, tuple(args)))  # start() drops a Process's own copies of these
        return process

    def __getattr__(self, name):  # Queue, Lock, Event, Value, get_start_method, ...: the real context's
        return getattr(self._real, name)

    def __reduce__(self):  # a child gets the plain context of the same start method
        return multiprocessing.get_context, (self._real.get_start_method(),)

    def __repr__(self) -> str:
        return f"<the test's {self._real.get_start_method()} context>"

    def built_by(self, target) -> list:
        """The processes built here that run ``target``."""
        return [process for process, made_with, _ in self._made if made_with is target]

    def args_of(self, process) -> tuple:
        """The args ``process`` was built with (start() drops the Process's own copy)."""
        return next(args for built, _, args in self._made if built is process)

    def pool_workers(self) -> list:
        """The worker processes of every ProcessPoolExecutor made with this context."""
        return self.built_by(futures_process._process_worker)

    def pool_sizes(self) -> list[int]:
        """The max_workers of each ProcessPoolExecutor made with this context that started a worker.

        Read from the pool's call queue, which holds max_workers + EXTRA_QUEUED_CALLS
        tasks: a pool under spawn or forkserver starts workers only as tasks
        arrive, so counting its workers would undercount.
        """
        sizes = {}
        for _, target, args in self._made:
            if target is futures_process._process_worker:
                calls = args[0]
                sizes[id(calls)] = calls._maxsize - futures_process.EXTRA_QUEUED_CALLS
        return list(sizes.values())


def _check_sendable(target, args, kwargs, method: str) -> None:
    try:
        _ChildPickler(io.BytesIO()).dump((target, tuple(args), dict(kwargs)))
    except Exception as exc:
        raise pickle.PicklingError(
            f"Process(target={getattr(target, '__qualname__', target)!r}, ...): its target or arguments can't be "
            f"pickled ({type(exc).__name__}: {exc}). Under spawn and forkserver a child receives target, args "
            f"and kwargs pickled, so this fails there (the test checks it under {method} too)") from None


def pretend_cpu_count(monkeypatch, count: int) -> None:
    """Make os.cpu_count() (and os.process_cpu_count(), 3.13+) say ``count`` in this process, for this test.

    A pool made without max_workers takes its size from them: a test that
    fixes them gives the same verdict on every machine.
    """
    monkeypatch.setattr(os, "cpu_count", lambda: count)
    if hasattr(os, "process_cpu_count"):
        monkeypatch.setattr(os, "process_cpu_count", lambda: count)


def _sandbox_session():
    session = sys.modules.get("kata.sandbox.session")  # imported only by --sandbox
    return session if session is not None and session.enabled() else None


def spy_context_fixture():
    """A fixture named mp_context for a test module: the SpyContext of the chosen start method.

    Under --sandbox it is made in the sandbox, where the module builds and joins
    its children: a test gets a proxy, and reads what it recorded as plain data.
    """
    import pytest  # in the judge only: the sandbox imports this module for SpyContext, and needs no pytest

    @pytest.fixture(name="mp_context")
    def _spy(start_method):
        session = _sandbox_session()
        return SpyContext(start_method) if session is None else session.current().spy_context(start_method)

    return _spy


# -- what a module keeps at module level ------------------------------------------

_SHARED_KINDS = (
    (queues.JoinableQueue, "JoinableQueue"), (queues.Queue, "Queue"), (queues.SimpleQueue, "SimpleQueue"),
    (synchronize.Condition, "Condition"), (synchronize.Event, "Event"), (synchronize.Barrier, "Barrier"),
    (synchronize.RLock, "RLock"), (synchronize.Lock, "Lock"), (synchronize.SemLock, "Semaphore"),
    (sharedctypes.SynchronizedBase, "Value"), (connection.Connection, "Pipe end"),
)


def shared_globals(module) -> list[str]:
    """The module-level names of ``module`` bound to a multiprocessing queue, lock, event, value or pipe."""
    found = []
    for name, value in vars(module).items():
        for kind, word in _SHARED_KINDS:
            if isinstance(value, kind):
                found.append(f"{name} (a {word})")
                break
    return found


def no_shared_globals(module, topic: str | None = None) -> None:
    """Fail the test, naming the mistake, if the module keeps what its children share in module globals.

    Under --sandbox the module is looked at where it was imported (``topic`` names it there).
    """
    session = _sandbox_session()
    found = shared_globals(module) if session is None else session.current().shared_globals(topic)
    if found:
        import pytest

        topic = topic or module.__name__.rsplit('.', 1)[-1]
        pytest.fail(
            f"{topic}.py keeps {', '.join(found)} at module level. Under spawn and "
            "forkserver every child imports the module afresh and makes one of its own, so what the children "
            "put there never reaches the parent, and a lock there excludes nobody (only fork copies the "
            "parent's into each child): make it in the function that starts the children and pass it to "
            "each child as a Process argument", pytrace=False)


def process_topic_fixture(topic: str):
    """seam.topic_fixture for a process topic: the module, refused first if it keeps shared objects as globals."""
    import pytest

    @pytest.fixture(name=topic)
    def _module():
        session = _sandbox_session()
        if session is not None:
            from kata.sandbox import SUPPORTED

            if topic not in SUPPORTED:
                # Never judged in this process while the run says it is sandboxed (the plugin refuses it).
                pytest.fail(f"the {topic} tests cannot run under --sandbox yet: its module would be imported "
                            "here, in the judge's process", pytrace=False)
        try:
            module = seam.load(topic) if session is None else session.module(topic)
        except seam.TopicImportError as exc:
            pytest.fail(str(exc), pytrace=False)
        no_shared_globals(module, topic)
        return module

    return _module
