"""The sandbox process: it imports a topic module from the selected tree and serves it.

Started by the judge (``kata.sandbox.session``) as ``python -m kata.sandbox``
with a clean environment and an empty working directory; it learns where the
judge's bridge is from one line of JSON on stdin, so its command line and
environment name no result log, output path or grader state.
"""
from __future__ import annotations

import importlib
import json
import os
import queue
import sys
import threading
from pathlib import Path

import Pyro5.api

from kata import probes_join, seam, trees
from kata.frames import other_threads_frames
from kata.sandbox import bridge, contexts

MODULE_PREFIX = "module:"
SUPPORT_PREFIX = "kata.support."
IDENT_TOKEN = "get_ident"  # threading.get_ident, called from the thread that serves the caller
# The functions a test may ask whether the thread serving one of its threads is inside (boundary.is_inside).
WAITS = frozenset({"threading.Thread.join", "multiprocessing.process.BaseProcess.join"})


class MainThread:
    """The sandbox's main thread, serving the calls the judge's main thread makes.

    Code under test that asks whether it runs in the main thread
    (``threading.current_thread() is threading.main_thread()``) gets the answer
    it would get in one process. A call made while the main thread is busy is a
    call back made on behalf of the main thread's own work (it waits for the
    judge, the judge calls in again): it is served where it arrives, as a
    reentrant call would run in one thread.
    """

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy = False

    def run(self, task):
        with self._lock:
            if self._busy or threading.current_thread() is threading.main_thread():
                return task()
            self._busy = True
        done: queue.SimpleQueue = queue.SimpleQueue()
        self._tasks.put((task, done))
        failed, outcome = done.get()
        if failed:
            raise outcome
        return outcome

    def serve_forever(self) -> None:
        while True:
            task, done = self._tasks.get()
            try:
                reply = (False, task())
            except BaseException as exc:  # the serving thread raises it; the main thread serves on
                reply = (True, exc)
            with self._lock:
                self._busy = False  # before the reply: the judge's next call finds the main thread free
            done.put(reply)


@Pyro5.api.expose
class SandboxBridge(bridge.Bridge):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._seen_joins: list = []  # the frames of the join() calls reported during this test
        self._seen_lock = threading.Lock()
        self._frozen = None  # freezegun's freezer while a test holds the module's clock still
        self.main = MainThread()
        self._serving: dict[int, int] = {}  # a serving thread's ident -> the ident of the caller it serves
        self._sleeps = None  # the SleepRecorder while one thread's sleeps are recorded

    def invoke(self, token, op, name, args, kwargs, identity):
        serve = super().invoke
        if type(identity) in (list, tuple) and len(identity) > 5 and identity[5] is True:
            return self.main.run(lambda: self._serve_for(serve, token, op, name, args, kwargs, identity))
        return self._serve_for(serve, token, op, name, args, kwargs, identity)

    def _serve_for(self, serve, token, op, name, args, kwargs, identity):
        me = threading.get_ident()
        previous = self._serving.get(me)
        self._serving[me] = identity[1] if type(identity) in (list, tuple) and len(identity) > 1 else None
        try:
            return serve(token, op, name, args, kwargs, identity)
        finally:
            if previous is None:
                self._serving.pop(me, None)
            else:
                self._serving[me] = previous

    def inside(self, ident, names) -> bool:
        """Whether a thread serving the judge's thread ``ident`` runs one of the functions ``names`` now."""
        if type(names) not in (list, tuple) or any(name not in WAITS for name in names):
            raise PermissionError("the kata asks only about join()")
        codes = set()
        for name in names:
            module, _, owner_name = name.rpartition(".")[0].rpartition(".")
            owner = getattr(importlib.import_module(module), owner_name)
            codes.add(getattr(owner, name.rpartition(".")[2]).__code__)
        frames = other_threads_frames()
        for served, serving in list(self._serving.items()):
            if serving != ident:
                continue
            frame = frames.get(served)
            while frame is not None:
                if frame.f_code in codes:
                    return True
                frame = frame.f_back
        return False

    def support(self, name: str):
        """One of the kata's support modules as this process imports it (the work tests hand to children)."""
        name = str(name)
        if not name.startswith(SUPPORT_PREFIX) or not name[len(SUPPORT_PREFIX):].isidentifier():
            raise PermissionError(f"{name} is not one of the kata's support modules")
        token = f"support:{name}"
        self._registry.pin(token, importlib.import_module(name))
        return ["R", token, "module"]

    def context(self, method: str):
        """The multiprocessing context of ``method`` that the module's children are started with."""
        token = f"context:{method}"
        self._registry.pin(token, contexts.serve(str(method)))
        return ["R", token, "context"]

    def spy_context(self, method: str):
        """A fresh SpyContext of ``method`` for one test (kata.contexts): it checks and records here."""
        from kata.contexts import SpyContext

        if str(method) not in contexts.METHODS:
            raise ValueError(f"{method!r} is not a start method")
        return ["R", self._registry.export(SpyContext(str(method))), "SpyContext"]

    def shared_globals(self, topic: str) -> list:
        """The loaded topic module's globals that hold a multiprocessing queue, lock, event, value or pipe."""
        from kata.contexts import shared_globals

        return shared_globals(self._registry.get(MODULE_PREFIX + str(topic)))

    def freeze(self, when: str) -> bool:
        """Stop the clock the module reads at ``when`` (freezegun, as a test in one process does)."""
        from freezegun import freeze_time

        self.unfreeze()
        # Nothing is ignored beyond freezegun's defaults: it tells real from frozen callers by the modules on
        # the stack, and the bridge and Pyro5 are on the stack of every call into the module.
        self._frozen = freeze_time(str(when))
        self._factory = self._frozen.start()
        return True

    def tick(self, seconds: float) -> bool:
        if self._frozen is None:
            raise RuntimeError("the clock is not frozen")
        self._factory.tick(float(seconds))
        return True

    def unfreeze(self) -> bool:
        if self._frozen is not None:
            frozen, self._frozen = self._frozen, None
            frozen.stop()
        return True

    def record_sleeps(self, thread_name: str, seed: int) -> bool:
        """Record, not sleep, the time.sleep() calls of the thread named ``thread_name``; seed random.

        Threads serving a test's thread carry its name (mirror_name), so the name
        picks the calls made for it. The lengths go back as plain data.
        """
        from kata.probes import SleepRecorder

        self.stop_recording_sleeps()
        self._sleeps = SleepRecorder(thread_name, seed)
        return True

    def sleeps(self) -> list:
        if self._sleeps is None:
            raise RuntimeError("no sleeps are being recorded")
        return list(self._sleeps.slept)

    def stop_recording_sleeps(self) -> bool:
        if self._sleeps is not None:
            self._sleeps, recorder = None, self._sleeps
            recorder.stop()
        return True

    def load(self, topic: str):
        """The topic's module as a token, or the seam's message on why it cannot be imported."""
        # The import stands in for the judge's main thread, which asks for it: a thread the module
        # starts at import is a non-daemon thread, as in one process, not a daemon like this server thread.
        me = threading.current_thread()
        own_daemon, me._daemonic = me.daemon, False
        try:
            module = seam.load(str(topic))
        except seam.TopicImportError as exc:
            return "err", [exc.story, exc.summary]
        finally:
            me._daemonic = own_daemon
        token = MODULE_PREFIX + str(topic)
        self._registry.pin(token, module)
        return "ok", ["R", token, "module"]

    def reset(self) -> None:
        """Forget every object the last test was handed; the modules stay loaded."""
        self._registry.clear()
        self.unfreeze()
        self.stop_recording_sleeps()
        with self._seen_lock:
            self._seen_joins.clear()

    def joins(self, ident) -> list:
        """The Thread.join() calls waiting now for the thread ``ident``, each as [key, has a timeout].

        What the judge learns from frames it cannot read itself, as plain data. A
        key names one join() call for the rest of the test: its frame is kept here,
        so no later call can take over its address and pass for it.
        """
        found = []
        with self._seen_lock:
            for frame, timed in probes_join.joins_of(int(ident)):
                key = next((k for k, seen in enumerate(self._seen_joins) if seen is frame), None)
                if key is None:
                    key = len(self._seen_joins)
                    self._seen_joins.append(frame)
                found.append([key, timed])
        return found

    def waits(self) -> list:
        """Each thread inside the code under test as [name, what it waits in, where, lock it wants, locks held].

        Plain data for the picture of a stall the judge has proven from /proc; never part of the proof.
        """
        from kata import stall_picture

        tree = trees.selected().resolve()
        frames = other_threads_frames()
        found = []
        for thread in threading.enumerate():
            frame = frames.get(thread.ident)
            where = stall_picture.student_line(frame, tree)
            if where:
                doing, _ = stall_picture.what_it_waits_in(frame, None, tree)
                wants, holds = stall_picture.locks_around(frame, tree) if "for a lock" in doing else (None, set())
                found.append([thread.name, doing, where, wants, sorted(holds)])
        return found

    def unjoined(self) -> list:
        """Each Process started here and never joined, as [pid, name]: read without reaping any (kata.hygiene)."""
        from kata import hygiene

        return [[process.pid, process.name] for process in hygiene._unjoined() if type(process.pid) is int]

    def threads(self) -> list:
        """Each live thread as [native id, name, daemon]: names for messages, daemon-ness for the leak check."""
        return [[t.native_id, t.name, t.daemon] for t in threading.enumerate() if t.native_id is not None]


def main() -> None:
    config = json.loads(sys.stdin.readline())
    sys.stdin.close()
    trees.select(Path(config["tree"]))
    if config.get("start_method"):
        os.environ["KATA_START_METHOD"] = config["start_method"]
    registry = bridge.Registry()
    judge = bridge.Peer(config["judge"], registry, bridge.JudgeObject)
    server = SandboxBridge(registry, lambda: judge, bridge.SANDBOX_OPS, mirror_name=True)
    registry.pin(IDENT_TOKEN, threading.get_ident)
    if config.get("start_method"):
        contexts.serve(config["start_method"])  # its helper processes start before any test counts children

    def report(args) -> None:
        error = args.exc_value
        try:
            judge.invoke(config["report"], "call", "",
                         (args.thread.name if args.thread else "?", *bridge.wire.encode_error(error)))
        except Exception:  # the judge is gone; nothing is left to tell
            pass

    threading.excepthook = report
    daemon = Pyro5.api.Daemon(unixsocket=config["socket"])
    # Pyro5's housekeeper wakes every 2 s to expire iterator streams, which the bridge never makes; a
    # thread that wakes by itself would keep the judge from ever proving a stall (kata.stall_sandbox).
    housekeeper = daemon.transportServer.housekeeper
    if housekeeper is not None:
        housekeeper.stop.set()
        housekeeper.join()
        daemon.transportServer.housekeeper = None
    daemon.register(server, "bridge")
    threading.Thread(target=daemon.requestLoop, name="kata-sandbox-server", daemon=True).start()
    server.main.serve_forever()


if __name__ == "__main__":
    main()
