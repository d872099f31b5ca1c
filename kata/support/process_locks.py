"""Probes for the process_locks topic: the gap between two writes, held open across processes.

``ProcessWindow`` is what kata.probes.Window is for threads, built from
multiprocessing parts so that it works in child processes under fork,
forkserver and spawn. The test makes one window with the run's context, hands
``window.lock_factory`` to the code under test (so it can see who waits for
the lock) and passes the window itself as the ``between`` hook, which the
children call between two writes. The window reaches each child as a Process
argument, the only way its shared Event may travel.

The first child to call the hook stays inside until a second child either
calls the hook too (the writers overlap: the bug) or is seen blocked on the
lock the factory made (the fix), so the bad interleaving is forced every time
and a correct solution waits only for the second process to arrive. While it
waits, the first child also notes which lock, if any, it is holding — the one
it was given, one made at import time (a module-level lock), one it made
itself, or none — so the test can name the mistake.

Under --sandbox a test takes the window and the other probes from the
sandbox's own import of this module (kata.boundary.support), where the code
under test makes its children and takes its locks; what they saw reaches the
judge as a record of plain data (``record()``), which the test takes only when
well formed (``checked``).
"""
from __future__ import annotations

import gc
import os
import sys
import time
from multiprocessing import synchronize

from kata import bounds, stall_child

# Slots of the shared state array.
ACQUIRED = 0       # top-level acquisitions of a spied lock, in any process
BLOCKED = 1        # processes waiting right now for a spied lock somebody holds
EVER_BLOCKED = 2   # how many times somebody had to wait for a spied lock
HOLDER = 3         # pid holding a spied lock right now (0: nobody)
ENTRIES = 4        # calls of the hook, in any process
OVERLAPPED = 5     # 1: a second caller entered while the first was still inside
FIRST_HELD = 6     # what the first caller held while inside (see HELD_*)
WAITED_OUT = 7     # 1: the first caller waited its whole bound and nobody came
NAKED = 8          # lock holds in a child with no nested acquisition: a bare counter.value access
CHILD_HOLDS = 9    # top-level holds of a spied lock in a child process
SLOTS = 10

HELD_UNKNOWN, HELD_GIVEN, HELD_MODULE_LEVEL, HELD_OWN, HELD_NOTHING = range(5)
HELD_WORDS = {
    HELD_UNKNOWN: "(the hook was never called)",
    HELD_GIVEN: "the lock it was given",
    HELD_MODULE_LEVEL: "a module-level lock",
    HELD_OWN: "a lock it had created itself",
    HELD_NOTHING: "no lock at all",
}


class ProcessWindow:
    """A between() hook and a lock factory that watch writers in several processes."""

    def __init__(self, ctx, module: str, hold: float = bounds.HANG) -> None:
        self._ctx = ctx
        self.module = module  # dotted name of the module under test, to recognise its globals
        self.hold = hold
        self.parent = os.getpid()
        self._state = ctx.Array("i", SLOTS)
        self._wake = ctx.Event()
        self.locks: list[SpiedProcessLock] = []  # made in this (the test's) process

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_ctx"] = None
        state["locks"] = []
        return state

    # -- the factory --------------------------------------------------------

    def lock_factory(self) -> SpiedProcessLock:
        if self._ctx is None:
            raise RuntimeError("lock_factory() was called in a child process: make the lock once, "
                               "in the parent, and pass it to each child")
        lock = SpiedProcessLock(self._ctx.Lock(), self._state, self._wake, self.parent)
        self.locks.append(lock)
        return lock

    def recursive_lock(self) -> SpiedProcessLock:
        """A spied RLock, as multiprocessing.Value uses by default (its getter re-acquires it)."""
        lock = SpiedProcessLock(self._ctx.RLock(), self._state, self._wake, self.parent, recursive=True)
        self.locks.append(lock)
        return lock

    # -- the hook -----------------------------------------------------------

    def __call__(self) -> None:
        with self._state.get_lock():
            self._state[ENTRIES] += 1
            first = self._state[ENTRIES] == 1
        self._wake.set()
        if first:
            held = self._what_i_hold()
            self._state[FIRST_HELD] = held
            self._hold_open()

    def _hold_open(self) -> None:
        deadline = time.monotonic() + self.hold
        while True:
            with self._state.get_lock():
                if self._state[ENTRIES] > 1:
                    self._state[OVERLAPPED] = 1
                    return
                if self._state[BLOCKED] > 0:
                    return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._state[WAITED_OUT] = 1
                return
            # One wait, not a poll: in a child it is a kata wait the test's stall detector can end.
            if not stall_child.event_wait(self._wake, remaining, "holds the lock, waiting for a second child"):
                self._state[WAITED_OUT] = 1
                return
            self._wake.clear()

    def _what_i_hold(self) -> int:
        if self._state[HOLDER] == os.getpid():
            return HELD_GIVEN
        mine = [obj for obj in gc.get_objects()
                if isinstance(obj, synchronize.SemLock) and not isinstance(obj, synchronize.Semaphore)
                and _is_mine(obj)]
        if not mine:
            return HELD_NOTHING
        module = sys.modules.get(self.module)
        module_level = {id(value) for value in vars(module).values()} if module is not None else set()
        if any(id(lock) in module_level for lock in mine):
            return HELD_MODULE_LEVEL
        return HELD_OWN

    # -- what the test reads afterwards ---------------------------------------

    def _get(self, slot: int) -> int:
        return self._state[slot]

    @property
    def overlapped(self) -> bool:
        return bool(self._get(OVERLAPPED))

    @property
    def entries(self) -> int:
        return self._get(ENTRIES)

    @property
    def acquisitions(self) -> int:
        return self._get(ACQUIRED)

    @property
    def child_holds(self) -> int:
        return self._get(CHILD_HOLDS)

    @property
    def ever_blocked(self) -> int:
        return self._get(EVER_BLOCKED)

    @property
    def waited_out(self) -> bool:
        return bool(self._get(WAITED_OUT))

    @property
    def naked_accesses(self) -> int:
        return self._get(NAKED)

    @property
    def first_held(self) -> int:
        return self._get(FIRST_HELD)

    def first_held_words(self) -> str:
        return HELD_WORDS[self.first_held]

    def record(self) -> dict:
        """What the window saw, as plain data (the shape is WINDOW_RECORD)."""
        return {"locks": len(self.locks), "entries": self.entries, "overlapped": self.overlapped,
                "waited_out": self.waited_out, "first_held": self.first_held, "child_holds": self.child_holds,
                "naked_accesses": self.naked_accesses}


WINDOW_RECORD = {"locks": int, "entries": int, "overlapped": bool, "waited_out": bool, "first_held": int,
                 "child_holds": int, "naked_accesses": int}


class Seen:
    """A window's checked record, read as the window's own attributes are (``hold`` is the bound it was given)."""

    def __init__(self, record: dict, hold: float) -> None:
        self.__dict__.update(checked(record, WINDOW_RECORD, "the test's window"))
        self.hold = hold


# -- one call of report() or add_visits(), watched from its own thread -----------------

def is_held(lock) -> bool:
    """Whether somebody holds a (non-recursive) lock, found out without keeping it."""
    if lock.acquire(False):
        lock.release()
        return False
    return True


class CountingLock:
    """Passes acquire and release on to a real lock, and counts the acquisitions."""

    def __init__(self, lock):
        self.lock = lock
        self.acquired = 0

    def acquire(self, *args, **kwargs):
        got = self.lock.acquire(*args, **kwargs)
        self.acquired += bool(got)
        return got

    def release(self):
        self.lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


class HoldProbe:
    """For one report() call: the lock to hand it (``given``, which counts its acquisitions), a between()
    hook (``between``) that notes whether the real lock is held, and, while the probe is entered, every
    multiprocessing lock, semaphore or condition made in this process."""

    def __init__(self, lock) -> None:
        self.lock = lock
        self.given = CountingLock(lock)
        self.held: list[bool] = []
        self.made: list = []
        self._original = None

    def between(self) -> None:
        self.held.append(is_held(self.lock))

    def __enter__(self):
        original = self._original = synchronize.SemLock.__init__
        made = self.made

        def counting(lock, *args, **kwargs):
            made.append(lock)
            original(lock, *args, **kwargs)

        synchronize.SemLock.__init__ = counting
        return self

    def __exit__(self, *exc) -> None:
        if self._original is not None:
            synchronize.SemLock.__init__, self._original = self._original, None

    def record(self) -> dict:
        """What the probe saw, as plain data (the shape is HOLD_RECORD)."""
        return {"held": list(self.held), "acquired": self.given.acquired, "made": len(self.made)}


HOLD_RECORD = {"held": [bool], "acquired": int, "made": int}


class SneakingWriter:
    """A between() hook for add_visits(): notes whether this thread holds ``lock`` (the counter's RLock),
    then adds 100 to the counter behind its lock's back, as another writer would sneak in."""

    def __init__(self, lock, counter) -> None:
        self.lock = lock
        self.counter = counter
        self.held: list[bool] = []

    def __call__(self) -> None:
        self.held.append(bool(self.lock._semlock._is_mine()))
        self.counter.get_obj().value += 100

    def record(self) -> dict:
        """What the hook saw, as plain data (the shape is SNEAK_RECORD)."""
        return {"held": list(self.held), "value": self.counter.get_obj().value}


SNEAK_RECORD = {"held": [bool], "value": int}


# -- what the judge reads back ---------------------------------------------------------

def checked(record, shape: dict, what: str) -> dict:
    """``record``, if it has exactly ``shape``'s keys, each value of exactly its type ([bool]: a list of bools).

    Anything else is no record: the test that needed it fails, whatever it says.
    """
    def fits(value, kind) -> bool:
        if type(kind) is list:
            return type(value) is list and all(type(item) is kind[0] for item in value)
        return type(value) is kind

    if type(record) is not dict or any(type(key) is not str for key in record) or set(record) != set(shape) \
            or not all(fits(record[key], kind) for key, kind in shape.items()):
        raise ValueError(f"{what} did not say what it saw (it answered {type(record).__name__})")
    return record


def _is_mine(lock) -> bool:
    try:
        return bool(lock._semlock._is_mine())
    except (AttributeError, OSError):
        return False


class SpiedProcessLock:
    """A real multiprocessing lock (it really excludes) that records, across processes, who waits.

    Recursive spies stand in for a Value's RLock: they also count holds in a child
    with no nested acquisition — a bare ``counter.value`` read or write, which
    takes the Value's lock for itself alone.
    """

    def __init__(self, lock, state, wake, parent: int, recursive: bool = False) -> None:
        self._lock = lock
        self._state = state
        self._wake = wake
        self._parent = parent
        self._recursive = recursive
        self._depth = 0   # per process: each process has its own copy of this object
        self._nested = 0

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_depth"] = state["_nested"] = 0
        return state

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        got = self._lock.acquire(False)
        if not got and block and timeout != 0:
            with self._state.get_lock():
                self._state[BLOCKED] += 1
                self._state[EVER_BLOCKED] += 1
            self._wake.set()
            try:
                got = self._lock.acquire(True, timeout)
            finally:
                with self._state.get_lock():
                    self._state[BLOCKED] -= 1
        if got:
            self._depth += 1
            if self._depth == 1:
                self._nested = 0
                with self._state.get_lock():
                    self._state[ACQUIRED] += 1
                    self._state[HOLDER] = os.getpid()
                    if os.getpid() != self._parent:
                        self._state[CHILD_HOLDS] += 1
            else:
                self._nested += 1
        return got

    def release(self) -> None:
        if self._depth == 1:
            with self._state.get_lock():
                self._state[HOLDER] = 0
                if self._recursive and self._nested == 0 and os.getpid() != self._parent:
                    self._state[NAKED] += 1
        self._depth = max(self._depth - 1, 0)
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<SpiedProcessLock wrapping {self._lock!r}>"
