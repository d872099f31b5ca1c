"""Work and probes for the join topic's tests.

Child processes re-import their target by name under spawn and forkserver, so
the work children run lives here at module level. Children report through
small JSON files in a folder the test owns, and stamp their start and end with
a shared logical clock (a ``multiprocessing.Value``), so the test can draw
who ran when without a stopwatch.

Under --sandbox a test takes the children's work and the context's records
from the sandbox's own import of this module (kata.boundary.support), where
the code under test builds and joins its children; what the judge reads back
(the notes, the context's record) it takes only when well formed.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from kata import bounds, stall, stall_child
from kata.support import processes
from kata.timeline import Timeline


# -- work run in child processes ---------------------------------------------------

def _tick(clock) -> int:
    with clock.get_lock():
        clock.value += 1
        return clock.value


def _write_note(folder, label: str, note: dict) -> None:
    folder = Path(folder)
    temporary = folder / f"{label}.partial"
    temporary.write_text(json.dumps(note), encoding="utf-8")
    temporary.replace(folder / f"{label}.json")


def meet_and_note(label, barrier, clock, folder) -> None:
    """Wait at a barrier that only trips when every child is inside at once; note what happened."""
    start = _tick(clock)
    try:
        stall_child.barrier_wait(barrier, "waits at the rendezvous for the other children")
        met = True
    except threading.BrokenBarrierError:
        met = False
    end = _tick(clock)
    _write_note(folder, label, {"pid": os.getpid(), "met": met, "start": start, "end": end})


def note_arguments(label, folder, *rest) -> None:
    """Note the child's pid and every argument it was called with."""
    _write_note(folder, label, {"pid": os.getpid(), "args": [label, folder, *rest]})


def wait_at_gate(gate) -> None:
    """Stay alive until the test opens the gate (bounded, so nothing outlives a broken test)."""
    stall_child.event_wait(gate, bounds.HELD, "waits at the test's gate")


def release(process, gate) -> None:
    """Open the gate, then make sure the held child is gone and reaped.

    The verdict is already made, so the child need not leave on its own: under
    spawn on a loaded machine it may still be starting when the gate opens, and
    waiting for it would only turn slowness into a leak. The gate opens first,
    never after the kill (set() waits for the waiters it wakes).
    """
    gate.set()
    processes.cleanup(process)


def read_notes(folder) -> dict[str, dict]:
    """The children's notes by label; a note that is not a JSON object is no note (that child never reported)."""
    notes = {}
    for path in Path(folder).glob("*.json"):
        try:
            note = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if type(note) is dict:
            notes[path.stem] = note
    return notes


def met(note: dict) -> bool:
    """Whether a child noted that it met the others at the barrier (True, and nothing else, says so)."""
    return note.get("met") is True


# -- what the test's context saw, as plain data -------------------------------------

def _label(args: tuple) -> str:
    """A child's label, the first argument it was built with, as a string for a message."""
    label = args[0] if args else None
    return label if type(label) is str else repr(label)


def spy_record(ctx) -> dict:
    """What the SpyContext ``ctx`` saw, by label: the children it built, joined, and built but never joined.

    Read where ``ctx`` lives (kata.boundary.support), so only strings cross.
    """
    joined = [process for process, _ in ctx.joins]
    return {"built": [_label(ctx.args_of(process)) for process in ctx.built],
            "joined": [_label(ctx.args_of(process)) for process in joined],
            "unjoined": [_label(ctx.args_of(process)) for process in ctx.built
                         if not any(seen is process for seen in joined)]}


RECORD_KEYS = ("built", "joined", "unjoined")


def checked_record(record) -> dict[str, list[str]]:
    """``record`` from spy_record(), if it is one: a dict of exactly those keys, each a list of strings."""
    if type(record) is not dict or sorted(record) != sorted(RECORD_KEYS) or any(
            type(labels) is not list or any(type(label) is not str for label in labels)
            for labels in record.values()):
        raise ValueError(f"the test's context did not say which children it built and joined "
                         f"(it answered {type(record).__name__})")
    return record


def open_gates_on_join(ctx, gates: dict) -> None:
    """Open the gate of a child's label as soon as the code under test calls join() on that child."""
    ctx.join_hooks.append(lambda process, timeout: gates[ctx.args_of(process)[0]].set())


def join_all(ctx, bound: float) -> None:
    """Wait, with a kata wait, for every child ``ctx`` built to end (the test's own cleanup)."""
    for process in ctx.built:
        stall.join_process(process, bound, f"waits for the child {process.name!r} to end")


def timeline_of(notes: dict[str, dict]) -> Timeline:
    """Replay the children's clock stamps into a Timeline, to draw in a failure message."""
    events = []
    for label, note in notes.items():
        events.append((note["start"], "start", label))
        events.append((note["end"], "end", label))
    timeline = Timeline()
    for _, kind, label in sorted(events):
        getattr(timeline, kind)(label)
    return timeline


# -- a stand-in worker that notes how it is waited for ---------------------------------

class WatchedWorker:
    """Stands in for a Thread or a Process: passes join() and is_alive() on, and notes each call.

    The real worker is held on ``gate`` until the test opens it. With
    ``open_gate_on_join`` the gate opens as join() begins, so the worker
    finishes during the wait — whoever asked is_alive() before join() gets a
    stale answer. A join() without a timeout would wait for a held worker
    forever: the watcher notes it and opens the gate, so the test can say so.
    """

    def __init__(self, worker, gate, open_gate_on_join: bool = False) -> None:
        self.worker = worker
        self.gate = gate
        self.open_gate_on_join = open_gate_on_join
        self.calls: list[tuple[str, object]] = []

    def join(self, timeout=None):
        self.calls.append(("join", timeout))
        if timeout is None or self.open_gate_on_join:
            self.gate.set()
            # The gate is open, so the worker ends during this wait, as the test promised: wait for that
            # whatever timeout was asked (a child on a loaded machine may still be starting up).
            self.worker.join(bounds.HELD)
        else:
            self.worker.join(timeout)

    def is_alive(self) -> bool:
        alive = self.worker.is_alive()
        self.calls.append(("is_alive", alive))
        return alive

    def __getattr__(self, name):
        return getattr(self.worker, name)

    @property
    def joins(self) -> list:
        return [arg for call, arg in self.calls if call == "join"]

    def asked_alive_before_joining(self) -> bool:
        names = [call for call, _ in self.calls]
        return "is_alive" in names and "join" in names and names.index("is_alive") < names.index("join")

    def describe(self) -> str:
        shown = [("join()" if arg is None else f"join({arg!r})") if call == "join" else "is_alive()"
                 for call, arg in self.calls]
        return ", ".join(shown) or "nothing"


def note_when_released(label, gates, folder) -> None:
    """In a child: wait until the test opens this label's gate (it does so when the child is joined); note it."""
    stall_child.event_wait(gates[label], bounds.HELD, "waits for the test to open its gate (when it is joined)")
    _write_note(folder, label, {"pid": os.getpid()})
