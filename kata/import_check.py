"""Prove that a topic module finishes importing, in a short-lived child, before the tests import it.

A module whose top-level code never returns (a ``while True`` left from a
demo, a ``sleep``, a thread joined at import) would otherwise hang the test
process in its very first fixture, and a spinning import thread that holds
the GIL slows everything after it. The child imports the module under a bound
of its own; when the bound runs out, faulthandler (registered on a signal, so
it answers even while the import holds the GIL) says which line it is on, and
the child and everything it started are killed. The child stays in its
parent's process group, so whoever stops the test run (Ctrl-C in a terminal,
the engine killing the run's group) stops the trial with it.
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

CPU_BOUND = 3.0  # seconds of CPU an import may use: only code that spins uses that much
IDLE_BOUND = 3.0  # seconds an import may sit waiting (asleep, using no CPU): only code that waits gets there
WALL_BOUND = 30.0  # seconds an import may take in all, whatever it does
POLL = 0.02  # seconds between looks at the child
DUMP_WAIT = 10.0  # seconds to wait for faulthandler's answer (it comes in milliseconds, unless the box is swamped)
IMPORTED, RAISED = "kata-import:imported", "kata-import:raised"

_CHILD = """
import faulthandler, importlib, json, os, signal, sys
report = os.fdopen(int(sys.argv[1]), "w")
faulthandler.register(signal.SIGUSR1, file=report, all_threads=True)
sys.path[:] = json.loads(sys.argv[3])
try:
    importlib.import_module(sys.argv[2])
except BaseException:
    outcome = "RAISED"
else:
    outcome = "IMPORTED"
report.write(outcome + "\\n")
report.flush()
signal.pause()  # stay until the parent has found and killed whatever the module started
""".replace("RAISED", RAISED).replace("IMPORTED", IMPORTED)


@dataclass
class Verdict:
    """How a trial import ended. ``finished``: it returned or raised (the in-process import may follow)."""

    finished: bool
    why: str = ""  # when not finished: what the module did, for the student
    line: int | None = None  # where it was in the module, when known
    stuck: bool = False  # it was still running its top-level code when the bound ran out


def trial_import(dotted: str, path: Path) -> Verdict:
    """Import ``dotted`` (whose file is ``path``) in a child; say whether the import ran to its end."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(write_end), dotted, json.dumps(sys.path)],
            pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(write_end)
        write_end = -1
        try:
            return _watch(child, read_end, path)
        finally:
            _kill_tree(child)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _watch(child: subprocess.Popen, report: int, path: Path) -> Verdict:
    text, started = "", time.monotonic()
    try:
        usage = psutil.Process(child.pid)
    except psutil.Error:
        usage = None
    # A slow machine is not a stuck import: a busy machine delays a runnable child, which
    # then uses CPU slowly; only a child that sleeps and uses none is waiting.
    idle_since, last_cpu = started, 0.0
    while True:
        try:
            status = child.wait(timeout=POLL)
        except subprocess.TimeoutExpired:
            status = None
        text += _drain(report)
        if IMPORTED in text or RAISED in text:
            return Verdict(True)
        if status is not None:
            return Verdict(False, f"it ended the whole process while importing (exit status {status}); "
                                  "did it call os._exit() or exit() at top level?")
        cpu, now = _cpu(usage), time.monotonic()
        if cpu - last_cpu > 0.01 or not _asleep(usage):
            idle_since, last_cpu = now, cpu
        if cpu >= CPU_BOUND:
            why = f"it was still running its top-level code after {cpu:.0f} s of CPU"
        elif now - idle_since >= IDLE_BOUND:
            why = f"its top-level code sat waiting for {now - idle_since:.0f} s"
        elif now - started >= WALL_BOUND:
            why = f"it was still importing after {now - started:.0f} s"
        else:
            continue
        return Verdict(False, why, _line_now(child, report, path), stuck=True)


def _cpu(usage: psutil.Process | None) -> float:
    try:
        times = usage.cpu_times() if usage else None
    except psutil.Error:
        return 0.0
    return times.user + times.system if times else 0.0


def _asleep(usage: psutil.Process | None) -> bool:
    try:
        return usage is not None and usage.status() == psutil.STATUS_SLEEPING
    except psutil.Error:
        return False


def _line_now(child: subprocess.Popen, report: int, path: Path) -> int | None:
    """Ask the child's faulthandler where the import is, and find the module's innermost line."""
    try:
        child.send_signal(signal.SIGUSR1)
    except ProcessLookupError:
        return None
    text, deadline = "", time.monotonic() + DUMP_WAIT
    while time.monotonic() < deadline:
        select.select([report], [], [], 0.1)
        text += _drain(report)
        line = innermost_line(text, path)
        if line is not None:
            return line
    return None


def innermost_line(dump: str, path: Path) -> int | None:
    """In a faulthandler dump, the innermost line of ``path`` in the thread that runs the import."""
    for block in re.split(r"\n(?=(?:Current thread|Thread) 0x)", dump):
        frames = re.findall(r'File "(.*)", line (\d+) in (\S+)', block)
        mine = [(int(line), function) for file, line, function in frames if file == str(path)]
        if any(function == "<module>" for _, function in mine):
            return mine[0][0]  # most recent call first
    return None


def _drain(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def _kill_tree(child: subprocess.Popen) -> None:
    """Kill the child and every process it started (a module may start processes at import)."""
    try:
        family = psutil.Process(child.pid).children(recursive=True)
    except psutil.Error:
        family = []
    for process in family:
        try:
            process.kill()
        except psutil.Error:
            continue
    child.kill()
    child.wait()
    psutil.wait_procs(family, timeout=5)
