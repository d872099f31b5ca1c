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
