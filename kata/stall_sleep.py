"""A sleep that a set stop cannot end: the student's thread sleeps on after the test said stop.

A loop that waits between its steps should wait on its stop event
(``stop.wait(seconds)``): set() wakes it at once. A loop that sleeps
(``time.sleep(seconds)``) and only then looks at the event hears nothing until
its sleep runs out, and a test that waits for it to notice the stop waits with
it. Neither a stall (the thread's own timer will end the sleep) nor a spin (it
hardly runs), it needs a proof of its own, and the kernel gives one:

- the test has said stop: it set the stop event it handed in, or handed in one
  whose waits end at once (kata.support.events.SteppingStop), and told the
  detector so (kata.stall.stop_is_set); from then on a correct thread waits on
  that event and is woken by it, or is not waiting at all;
- a thread of the test sleeps in a sleep only its own timer ends
  (clock_nanosleep, nanosleep, or a select on no file at all: time.sleep on
  every Python), with the student's code innermost on its stack (time.sleep()
  is C: nothing of the library lies between);
- it is seen in that one sleep twice, CONFIRM apart, both times after the stop
  was said: its context-switch count did not move, so it never woke between.

Such a thread sleeps a sleep the set event cannot end. The detector then ends
the main thread's kata wait at once, as it does for a spin. Only a test whose
code under test has no reason to sleep at all says stop this way.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kata import stall_tree
from kata.frames import other_threads_frames
from kata.stall_spin import StudentCode, timer_sleep

CONFIRM = 0.05  # how long one sleep must be seen to last once the stop was said



def _asleep_of_its_own(tid: int) -> int | None:
    """Thread ``tid``'s context-switch count if it sleeps now in a sleep only its own timer ends, else None."""
    now = stall_tree.task(tid)
    if now is None:
        return None  # gone, or unreadable
    state, switches, call = now
    return switches if state == "S" and timer_sleep(call) else None


@dataclass
class Sleeping:
    """A thread proven to sleep on after the test said stop."""
    name: str
    where: str   # "events.py:42 in run_light: time.sleep(...)"
    stop: str    # the stop event, by the name the student knows it by ("stop", "finished")

    def describe(self, wait_what: str) -> str:
        return (f"the test's main thread {wait_what}; {self.stop} would have ended a wait on it at once, yet "
                f"{self.name} slept on inside your module, at {self.where}\n"
                f"likely mistake: time.sleep() cannot be interrupted by {self.stop} — wait with "
                f"{self.stop}.wait(seconds) instead: it returns as soon as {self.stop} is set")


class SleepWatch:
    """Follows the test's threads once the test said stop; names one that sleeps on regardless."""

    def __init__(self, tree: Path) -> None:
        self._code = StudentCode(tree)
        self.stop: str | None = None  # the stop event said, by name; None until the test says one
        self._seen: dict[int, tuple[int, float]] = {}  # tid -> (its switches, when first seen) in this sleep

    def said(self, stop: str) -> None:
        """The test set ``stop`` (or handed in one whose waits end at once): from now on no sleep is right."""
        self.stop, self._seen = stop, {}  # only sleeps seen from now on count

    def look(self, tids) -> Sleeping | None:
        """One sample of the test's threads ``tids`` (not the main thread, which sits in a kata wait)."""
        if self.stop is None:
            return None
        now = time.monotonic()
        frames = other_threads_frames()
        by_tid = {thread.native_id: thread for thread in threading.enumerate()}
        for tid in tids:
            switches = _asleep_of_its_own(tid)
            thread = by_tid.get(tid)
            frame = frames.get(thread.ident) if thread is not None else None
            where, innermost = self._code.where(frame) if switches is not None else ("", False)
            if not where or not innermost:
                self._seen.pop(tid, None)
                continue
            first = self._seen.get(tid)
            if first is None or first[0] != switches:
                self._seen[tid] = (switches, now)  # a sleep begun (or first seen) now
            elif now - first[1] >= CONFIRM:
                return Sleeping(repr(thread.name), where, self.stop)
        for tid in set(self._seen) - set(tids):
            del self._seen[tid]
        return None
