"""Code that keeps moving and gets nowhere: a student's thread that spins while the test waits.

A stall (kata.stall) is proven when nobody can move. A busy loop moves all the
time, so it needs a proof of its own, and wall time cannot give one: a loaded
machine stretches every wait. What the kernel counts for each thread can:

- the test's main thread sits in one of the kata's bounded waits and is not
  woken once (its context-switch count does not change): nobody told it
  anything, so the test has seen no progress;
- meanwhile another thread of the test, looked at every sample, stays in the
  student's module, and either burns CPU (SPIN_CPU seconds of its own run
  time, which a starved thread does not accumulate) or, its innermost frame
  always the student's own code, goes to sleep of its own accord (a sleep
  only its own timer ends, never a wait for data or a lock) and wakes up
  SPIN_WAKES times (a ``time.sleep`` in a loop): counted in wake-ups, which a
  loaded machine makes fewer, never more. Installed packages (site-packages)
  are not the standard library: a thread inside one is not the student's.
  The wake-ups are counted over an unbroken series of samples that each saw
  such a sleep (or the thread running): a sample that sees it in any other
  wait starts the count afresh from its next sleep. Threads that sleep in a
  loop side by side are often seen so, waiting for the GIL they must take
  again after each sleep; a count that such a sample ended for the rest of
  the wait left their proof to whichever thread was never seen waiting, or
  to the wait's bound.

Either way the thread is doing the same thing over and over while the test
waits for something it never does. No correct solution comes near these
counts in one kata wait (tests/test_stall.py runs them under load).

A proof sticks for the rest of its test: the thread proven to spin is known
to loop, so a later kata wait of the same test ends as soon as it is seen
still looping (AGAIN_CPU, AGAIN_WAKES), not after the full counts again.
"""
from __future__ import annotations

import linecache
import os
import sysconfig
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kata.frames import other_threads_frames

SPIN_CPU = 1.5      # CPU-seconds a thread burns in the student's code while the test hears nothing
SPIN_WAKES = 1500   # times it sleeps and wakes there meanwhile (a sleep in a loop)
# A thread proven to spin once in a test needs only this much to be proven again in a later kata wait of the
# same test: it is known to loop, so it must merely be seen still looping (one that was let go and is
# finishing its last lines does not burn this much in the student's module while the test hears nothing).
AGAIN_CPU = 0.1
AGAIN_WAKES = 100

_LIBRARY = tuple({str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib")})
_INSTALLED = ("site-packages", "dist-packages")  # under the stdlib's folder, yet not the standard library
_MACHINE = os.uname().machine if hasattr(os, "uname") else ""
# The system calls of a sleep of the thread's own (time.sleep): nobody else can end it. select and pselect6
# count only when they watch no file (time.sleep on Python 3.10 is select(0, NULL, NULL, NULL, &timeout)).
_SLEEPS = {"x86_64": {35, 230}, "aarch64": {101, 115}}.get(_MACHINE, set())
_SELECTS = {"x86_64": {23, 270}, "aarch64": {72}}.get(_MACHINE, set())
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(tid: int) -> float | None:
    """The CPU time thread ``tid`` of this process has run for; None when /proc will not say."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as file:
            return int(file.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/self/task/{tid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    except (OSError, ValueError, IndexError):
        return None


def wakeups(tid: int) -> int | None:
    """How many times thread ``tid`` has gone to sleep of its own accord (and so woken up)."""
    try:
        with open(f"/proc/self/task/{tid}/status") as file:
            return next(int(line.split()[1]) for line in file if line.startswith("voluntary_ctxt_switches:"))
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _in_library(filename: str) -> bool:
    return filename.startswith("<") or filename.startswith(_LIBRARY) and not any(
        part in filename for part in _INSTALLED)


def timer_sleep(call: list[str]) -> bool:
    """Whether a thread's system call (a /proc syscall line, split) is a sleep only its own timer ends."""
    try:
        number = int(call[0])
        return number in _SLEEPS or number in _SELECTS and int(call[1], 16) == 0
    except (ValueError, IndexError):
        return False


def sleeps_of_its_own(tid: int) -> bool:
    """Whether thread ``tid`` runs, or sleeps in a sleep only its own timer ends (not a wait for anybody)."""
    try:
        with open(f"/proc/self/task/{tid}/syscall") as file:
            call = file.read().split()
    except OSError:
        return False
    return call[:1] == ["running"] or timer_sleep(call)


@dataclass
class Spinning:
    """A thread proven to spin: where, and what the kernel counted."""
    name: str
    where: str        # "events.py:25 in wait: while not self._flag:"
    cpu: float        # CPU-seconds burned meanwhile
    wakes: int        # wake-ups meanwhile
    by_wakes: bool    # proven by its wake-ups (a sleep in a loop), not its CPU time

    def describe(self, wait_what: str) -> str:
        how = (f"slept and woke {self.wakes} times" if self.by_wakes
               else f"burned {self.cpu:.1f} s of CPU time")
        lesson = ("this thread keeps waking up here to look again and never waits for the news: a sleep in a loop? "
                  "wait on the Event / Condition instead" if self.by_wakes else
                  "this thread keeps running here and never waits: a busy loop? "
                  "wait on the Event / Condition instead (or end the loop when it is told to stop)")
        return (f"the test's main thread {wait_what} and heard nothing while {self.name} {how} "
                f"inside your module\n  {self.name} keeps running at {self.where}\n"
                f"likely mistake: {lesson}")


@dataclass
class _Run:
    """One thread followed through one kata wait of the main thread."""
    cpu: float
    wakes: int | None  # its wake-ups when its unbroken run of sleeps of its own began; None: not in one now
    lines: Counter = field(default_factory=Counter)


class SpinWatch:
    """Follows the test's threads while its main thread sits in one kata wait; names one that spins."""

    def __init__(self, tree: Path, cpu: float = SPIN_CPU, wakes: int = SPIN_WAKES) -> None:
        self.tree = tree
        self.cpu, self.wakes = cpu, wakes
        self._wait = None            # the main thread's kata wait being followed
        self._main_switches = None   # the main thread's context switches when it began
        self._runs: dict[int, _Run] = {}
        self._code = StudentCode(tree)
        self.proven: set = set()  # the threads proven to spin in this test (one SpinWatch per test), by (tid, thread)

    def reset(self) -> None:
        self._wait, self._main_switches, self._runs = None, None, {}

    def look(self, wait, main_switches: int | None, tids) -> Spinning | None:
        """One sample: ``wait`` is the main thread's kata wait now (or None), ``tids`` the test's other threads."""
        if wait is None or main_switches is None:
            self.reset()
            return None
        if wait is not self._wait or main_switches != self._main_switches:
            self.reset()  # a new wait, or the main thread was woken: the test heard something
            self._wait, self._main_switches = wait, main_switches
        by_tid = {thread.native_id: thread for thread in threading.enumerate()}
        frames = other_threads_frames()
        for tid in tids:
            thread = by_tid.get(tid)
            frame = frames.get(thread.ident) if thread is not None else None
            where, innermost = self._code.where(frame)
            cpu, wakes = cpu_seconds(tid), wakeups(tid)
            if not where or cpu is None or wakes is None:
                self._runs.pop(tid, None)  # outside the student's code: whatever it does, it is not the student's loop
                continue
            run = self._runs.setdefault(tid, _Run(cpu, None))
            if not (innermost and sleeps_of_its_own(tid)):
                run.wakes = None  # it may be waiting for somebody: count its wake-ups afresh from its next sleep
            elif run.wakes is None:
                run.wakes = wakes
            run.lines[where] += 1
            spent, woke = cpu - run.cpu, 0 if run.wakes is None else wakes - run.wakes
            again = (tid, thread) in self.proven
            enough_cpu, enough_wakes = (AGAIN_CPU, AGAIN_WAKES) if again else (self.cpu, self.wakes)
            if spent >= enough_cpu or woke >= enough_wakes:
                self.proven.add((tid, thread))
                name = "the test's main thread" if thread is threading.main_thread() else repr(thread.name)
                return Spinning(name, run.lines.most_common(1)[0][0], spent, woke, spent < enough_cpu)
        for tid in set(self._runs) - set(tids):
            del self._runs[tid]
        return None


class StudentCode:
    """Tells the student's code (the selected tree) from the library's on a thread's stack."""

    def __init__(self, tree: Path) -> None:
        self.tree = tree
        self._seen: dict[str, bool] = {}  # file name -> whether it is the student's (resolving paths is slow)

    def where(self, frame) -> tuple[str, bool]:
        """The innermost line of the student's code on this stack, and whether nothing but the library is inside it."""
        innermost = True
        while frame is not None:
            name = frame.f_code.co_filename
            if self._in_tree(name):
                source = linecache.getline(name, frame.f_lineno).strip()
                return (f"{Path(name).name}:{frame.f_lineno} in {frame.f_code.co_name}"
                        + (f": {source}" if source else "")), innermost
            innermost = innermost and _in_library(name)
            frame = frame.f_back
        return "", False

    def _in_tree(self, filename: str) -> bool:
        known = self._seen.get(filename)
        if known is None:
            try:
                known = Path(filename).resolve().is_relative_to(self.tree)
            except (OSError, ValueError):
                known = False
            self._seen[filename] = known
        return known
