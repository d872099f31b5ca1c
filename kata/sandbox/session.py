"""The judge's side of a sandbox: start it, hand out its modules, watch it, kill it.

One sandbox process serves a whole pytest run (a worker of it, under xdist)
until a test leaves it in doubt — a call still running when the test ended, a
leftover thread or process — and is then killed with everything it started;
the next test gets a fresh one.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import Pyro5.api

from kata import bounds, seam, trees
from kata.sandbox import bridge, containment, wire
from kata.sandbox import process as process_tokens

REPORT_TOKEN = "thread-exceptions"
SANDBOX_MODULE = "kata.sandbox"  # its __main__ runs kata.sandbox.process
START_BOUND = 30.0  # a sandbox that cannot answer by then is broken, not slow
LOG_TAIL = 2000
REPORT_BOUND = 2.0  # a report for a stall's picture that takes longer is no report


_current: Sandbox | None = None
_enabled = False
_settings: tuple[Path, str | None] | None = None


def enable(tree: Path, start_method: str | None) -> None:
    global _enabled, _settings
    _enabled = True
    _settings = (Path(tree), start_method)


def enabled() -> bool:
    return _enabled


class Sandbox:
    def __init__(self, tree: Path, start_method: str | None, wait: bool = True) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="kata-sandbox-"))
        # judge/ holds the judge's socket (the sandbox may connect, not write); box/ is all the sandbox may write.
        judge_dir, self.box = self.scratch / "judge", self.scratch / "box"
        judge_dir.mkdir()
        self.box.mkdir()
        self.thread_errors: list[tuple[str, BaseException]] = []
        self.registry = bridge.Registry()
        self.registry.pin(REPORT_TOKEN, self._thread_exception)
        socket = self.box / "sandbox.sock"
        self.peer = bridge.Peer(f"PYRO:bridge@./u:{socket}", self.registry, bridge.RemoteObject)
        self.daemon = Pyro5.api.Daemon(unixsocket=str(judge_dir / "judge.sock"))
        uri = self.daemon.register(bridge.Bridge(self.registry, lambda: self.peer, bridge.JUDGE_OPS), "bridge")
        self._server = threading.Thread(target=self.daemon.requestLoop, name="kata-sandbox-judge", daemon=True)
        self._server.start()
        self._log = open(self.scratch / "sandbox.log", "wb")
        self.containment = containment.level()
        containment.guard_judge()
        command = containment.wrap([sys.executable, "-m", SANDBOX_MODULE], box=self.box,
                                   readable=[Path(tree), judge_dir])
        self.process = subprocess.Popen(command, cwd=self.box, env=_clean_environment(), stdin=subprocess.PIPE,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.process.pid
        config = {"judge": str(uri), "socket": str(socket), "report": REPORT_TOKEN, "tree": str(tree),
                  "start_method": start_method}
        self.process.stdin.write(json.dumps(config).encode() + b"\n")
        self.process.stdin.close()
        self.modules: dict[str, object] = {}
        self._socket: Path | None = socket  # until the sandbox has answered once
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait until the sandbox answers (once; it starts on its own meanwhile)."""
        if self._socket is None:
            return
        try:
            self._wait_ready(self._socket)
            self.pid = self._python_pid()
        except BaseException:  # whatever stopped the start, nothing of it stays behind
            self.stop()
            raise
        self._socket = None

    @property
    def answered(self) -> bool:
        return self._socket is None

    def _wait_ready(self, socket: Path) -> None:
        deadline = time.monotonic() + START_BOUND
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if socket.exists():
                try:
                    self.peer.call_plain("ping")
                    return
                except bridge.SandboxGone:
                    pass
            time.sleep(0.01)
        raise bridge.SandboxGone(f"the sandbox process did not start:\n{self.log_tail()}")

    def _python_pid(self) -> int:
        """The sandbox's Python process as this side sees it (bwrap starts it as a descendant)."""
        if not containment.contained():
            return self.process.pid
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if child.cmdline()[1:3] == ["-m", SANDBOX_MODULE]:  # python itself, not a bwrap naming it
                    return child.pid
            except psutil.Error:
                continue
        raise bridge.SandboxGone("the contained sandbox process could not be found")

    def _thread_exception(self, thread_name, base, name, message) -> None:
        self.thread_errors.append((thread_name, wire.decode_error([base, name, message])))

    def module(self, topic: str):
        if topic not in self.modules:
            reply = self.peer.call_plain("load", topic)
            if type(reply) not in (list, tuple) or len(reply) != 2 or reply[0] not in ("ok", "err"):
                raise bridge.SandboxGone("the sandbox answered the module's import with nonsense")
            status, payload = reply
            if status != "ok":
                raise _import_error(payload)
            self.modules[topic] = self.peer.decode(payload)
        return self.modules[topic]

    def context(self, method: str):
        """The sandbox's multiprocessing context of ``method`` (kata.sandbox.contexts)."""
        return self._served("context", method)

    def spy_context(self, method: str):
        """A SpyContext of ``method`` made in the sandbox for this test (kata.contexts)."""
        return self._served("spy_context", method)

    def shared_globals(self, topic: str) -> list[str]:
        """What the sandbox finds kept as the topic module's shared globals; no answer is no pass."""
        found = self.peer.call_plain("shared_globals", topic)
        if type(found) is not list or any(type(name) is not str for name in found):
            raise bridge.SandboxGone(f"the sandbox did not say which globals the {topic} module keeps "
                                     f"(it answered {type(found).__name__})")
        return found

    def support(self, name: str):
        """The sandbox's own import of the kata support module ``name``."""
        return self._served("support", name)

    def _served(self, method: str, *args):
        far = self.peer.decode(self.peer.call_plain(method, *args))
        if not isinstance(far, bridge.RemoteObject):
            raise bridge.SandboxGone(f"the sandbox answered {method}() with something that is not its object")
        return far

    def thread_ident(self) -> int:
        """threading.get_ident() in the sandbox thread that serves the calling thread."""
        ident = self.peer.invoke(process_tokens.IDENT_TOKEN, "call")
        if type(ident) is not int:
            raise bridge.SandboxGone(f"the sandbox answered get_ident() with a {type(ident).__name__}")
        return ident

    # -- what the judge sees from outside ----------------------------------------

    def process_id(self) -> int:
        """The sandbox's pid as it sees itself (inside bwrap's PID namespace: the last number on NSpid)."""
        try:
            return _inner_pid(self.pid)
        except OSError:
            raise bridge.SandboxGone("the sandbox process is gone") from None

    def tasks(self) -> dict[int, int]:
        """The sandbox's threads as the kernel lists them: each one's id here -> its id inside the sandbox.

        In bwrap's PID namespace a thread has another id than out here (the last one on its NSpid line),
        and that inner id is the one the sandbox reports as ``native_id``.
        """
        tasks = {}
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return tasks
        for tid in tids:
            try:
                with open(f"/proc/{self.pid}/task/{tid}/status", encoding="ascii") as status:
                    line = next((l for l in status if l.startswith("NSpid:")), f"NSpid:\t{tid}")
            except OSError:
                continue  # ended meanwhile
            tasks[int(tid)] = int(line.split()[-1])
        return tasks

    def forkserver_pid(self) -> int:
        """The pid, as the sandbox sees it, of the fork server its forkserver children are forked from.

        Found in the sandbox's process tree by its command line, never taken from the sandbox's word.
        """
        try:
            candidates = psutil.Process(self.pid).children()
        except psutil.Error:
            raise bridge.SandboxGone("the sandbox process is gone") from None
        for child in candidates:
            try:
                if any("multiprocessing.forkserver" in part for part in child.cmdline()):
                    return _inner_pid(child.pid)
            except (psutil.Error, OSError):
                continue
        raise bridge.SandboxGone("the sandbox has no fork server")

    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            return []

    def reported_threads(self) -> dict[int, tuple[str, bool]]:
        """What the sandbox says its threads are (names and daemon flags: never a reason to pass)."""
        try:
            listed = self.peer.call_plain("threads")
            return {tid: (name, daemon) for tid, name, daemon in listed
                    if type(tid) is int and type(name) is str and type(daemon) is bool}
        except Exception:  # a sandbox that cannot say is vouching for nothing
            return {}

    def reported_unjoined(self) -> dict[int, str]:
        """What the sandbox says it started and never joined: pid (as it sees it) -> name; only adds failures."""
        try:
            listed = self.peer.call_plain("unjoined")
            return {pid: name for pid, name in listed if type(pid) is int and type(name) is str}
        except Exception:  # a sandbox that cannot say adds no failure, and removes none
            return {}

    def inner_pid(self, pid: int) -> int | None:
        """``pid`` as the sandbox sees it, or None once it is gone."""
        try:
            return _inner_pid(pid)
        except (OSError, ValueError):
            return None

    def joins_waiting_for(self, ident: int) -> list[tuple[int, bool]]:
        """The join() calls the sandbox sees waiting for its thread ``ident``, as (key, has a timeout).

        Only ever a reason to let a held worker go; anything but a well-formed
        report counts as no join seen, so a missing report cannot pass a test.
        """
        try:
            listed = self.peer.call_plain("joins", ident)
        except Exception:
            return []
        if type(listed) not in (list, tuple):
            return []
        return [(key, timed) for key, timed in (pair for pair in listed if type(pair) in (list, tuple)
                                                and len(pair) == 2)
                if type(key) is int and type(timed) is bool]

    def waits(self) -> list[tuple[str, str, str, str | None, frozenset]]:
        """What the sandbox says its threads inside the code under test wait in (for a stall's picture only).

        Asked on a proxy of its own with a time limit, from the stall detector's thread; anything
        but a well-formed answer is no report.
        """
        proxy = Pyro5.api.Proxy(self.peer.uri)
        proxy._pyroTimeout = REPORT_BOUND
        try:
            listed = proxy.waits()
        except Exception:
            return []
        finally:
            proxy._pyroRelease()
        if type(listed) is not list:
            return []
        found = []
        for entry in listed:
            if type(entry) is list and len(entry) == 5 and all(type(v) is str for v in entry[:3]) and \
                    (entry[3] is None or type(entry[3]) is str) and type(entry[4]) is list and \
                    all(type(v) is str for v in entry[4]):
                found.append((entry[0], entry[1], entry[2], entry[3], frozenset(entry[4])))
        return found

    def alive(self) -> bool:
        if self.process.poll() is not None:
            return False
        try:
            return psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def log_tail(self) -> str:
        self._log.flush()
        data = (self.scratch / "sandbox.log").read_bytes()
        return data[-LOG_TAIL:].decode("utf-8", "replace")

    def reset(self) -> None:
        self.registry.clear()
        self.thread_errors.clear()
        self.peer.close_own_proxy()
        try:
            self.peer.call_plain("reset")
        except bridge.SandboxGone:
            pass

    def stop(self, orderly: bool = True) -> None:
        """Kill the sandbox and all it started; ``orderly=False`` (the run is over) leaves the judge's own
        server to end with this process, sparing Pyro5's shutdown pauses (about 0.2 s)."""
        try:
            everything = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            everything = []
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for child in everything + self.children():  # what left the group (setsid) is still in the tree
            try:
                child.kill()
            except psutil.Error:
                pass
        self.process.wait()
        if orderly:
            self.daemon.shutdown()
            self._server.join(bounds.HANG)
            self.daemon.close()
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _inner_pid(pid: int) -> int:
    """A process's pid inside the sandbox's PID namespace (the last number on its NSpid line)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next((l for l in status if l.startswith("NSpid:")), f"NSpid:\t{pid}")
    return int(line.split()[-1])


def _clean_environment() -> dict[str, str]:
    """Just enough to run Python: no result log, output path, run id or grader state."""
    env = {"PATH": os.defpath, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(trees.ROOT)}
    if "PYTHON_GIL" in os.environ:  # the same interpreter as the judge's: a free-threaded build told to keep the GIL
        env["PYTHON_GIL"] = os.environ["PYTHON_GIL"]
    return env


def prestart() -> None:
    """Start the sandbox now without waiting for it (it boots while pytest collects); current() waits.

    Started from the main thread: bwrap's --die-with-parent ends the sandbox when the thread that
    started it ends, not only the process.
    """
    global _current
    if _enabled and _current is None:
        _current = Sandbox(*_settings, wait=False)


def current() -> Sandbox:
    global _current
    if _current is not None and _current.alive():
        try:
            _current.ready()
        except bridge.SandboxGone:
            _current = None  # a start begun early that failed: begin again, and let that failure be seen
    if _current is None or not _current.alive():
        if _current is not None:
            _current.stop()
        _current = Sandbox(*_settings)
    return _current


def tree_pids() -> set[int]:
    """The sandbox's whole process tree (bwrap, the sandbox, whatever it started)."""
    sandbox = _current
    if sandbox is None:
        return set()
    try:
        return {sandbox.process.pid} | {p.pid for p in psutil.Process(sandbox.process.pid).children(recursive=True)}
    except psutil.Error:
        return set()


def running() -> Sandbox | None:
    """The sandbox, once it has answered (a start still under way has nothing to tell)."""
    return _current if _current is not None and _current.answered else None


def discard(orderly: bool = True) -> None:
    """Kill the sandbox; the next test that needs one starts a fresh one."""
    global _current
    if _current is not None:
        sandbox, _current = _current, None
        sandbox.stop(orderly)


_broken: dict[str, seam.TopicImportError] = {}


def _import_error(payload) -> seam.TopicImportError:
    """The seam's story and one-line summary of a failed import, as the sandbox sent them (two strings)."""
    if type(payload) in (list, tuple) and len(payload) == 2 and all(type(part) is str for part in payload):
        return seam.TopicImportError(*payload)
    return seam.TopicImportError("the module failed to import", "the module failed to import")


def module(topic: str):
    """The topic's module, served by the sandbox; a module that cannot be served fails every test the same way."""
    if topic in _broken:
        raise _broken[topic]
    sandbox = current()
    try:
        return sandbox.module(topic)
    except seam.TopicImportError as exc:
        _broken[topic] = exc
    except bridge.SandboxGone as exc:
        gone = f"the sandbox process ended while importing the {topic} module ({exc})"
        _broken[topic] = seam.TopicImportError(gone, gone)
        discard()
    raise _broken[topic]
