"""Stopping the topic runs a command started: at Ctrl-C, or when a newer save makes a run pointless.

Each run is a pytest child that leads a process group of its own (kata.engine
starts it in a new session), so killing that group ends the run and whatever
it started; the engine then reaps it and returns at once with the verdicts it
reached. The caller keeps killing until its runners have returned, so a run
that was just about to start is stopped too.
"""
from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

import psutil

LOOK = 0.05  # seconds between kills while waiting for the runners to return


def kill_runs() -> None:
    """Kill the process group of every child of this process that leads one (every topic run)."""
    for child in psutil.Process().children():
        try:
            if os.getpgid(child.pid) == child.pid:
                os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue


def stop_runs(all_returned: Callable[[float], bool]) -> None:
    """Kill the runs until ``all_returned(timeout)`` says every runner has returned; Ctrl-C waits meanwhile."""
    in_main = threading.current_thread() is threading.main_thread()  # only it may touch signal handlers
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None  # a second Ctrl-C waits too
    try:
        while True:
            kill_runs()
            if all_returned(LOOK):
                return
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)


def ctrl_c_stops() -> None:
    """Make Ctrl-C raise KeyboardInterrupt even when the shell that started us ignores SIGINT
    (as non-interactive shells do for background jobs)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
