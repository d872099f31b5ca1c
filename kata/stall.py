"""The stall detector: when nobody in a test can move, say so at once.

A test's threads are stalled when each of them sleeps in a wait that only
another of them could end. Looking at stack frames cannot prove that (a
runnable thread that the scheduler has not picked for seconds looks exactly
like a blocked one), so the proof comes from the kernel (Linux, /proc):

- every thread of the test (the main thread, and every thread born since the
  test began) is asleep (state S) in a futex wait — a lock, join, condition,
  event, barrier or queue wait — that has no timeout, or whose deadline the
  kernel holds (read from the timespec the wait passed), or in one of the
  kata's own bounded waits, registered here around the call;
  a thread of the test may also wait on what only the test's process tree can
  end: wait4 for a child, or read, write or poll without a timeout on pipes
  that no process outside the tree holds (kata.stall_tree);
- every thread of every live child process sleeps in such a wait too (a
  futex, wait4, a pipe of the tree's), and multiprocessing's helpers sleep;
- no thread of the tree (but this detector) ran between two samples: their
  voluntary and involuntary context-switch counts did not change, so at one
  instant every thread was asleep; the process's other threads (xdist's I/O
  thread, session servers) are asleep too.

What a proven stall means: nothing will happen before the earliest deadline
among those waits. When that is one of the kata's bounded waits, the detector
skips ahead in time: it ends that wait, exactly as if its bound had run out,
and looks again (when it is the code under test's own timed wait, it lets it
run out). When no deadline is left at all, the stall is for ever: the main thread gets a signal
whose handler raises ``Stall`` carrying a picture of who waits for what.
Without the proof (not Linux, an unknown architecture, /proc unreadable) the
detector stays idle and the bounds work as they always did. Frames are only
read to describe a stall, never to decide one.

A kata wait that polls (poll_until: it looks at another thread's stack, which
nobody announces) keeps waking, so the proof leaves its thread out and asks it
to look once the others are proven asleep; only a look that finds nothing,
while none of the others has run since, lets the stall include it.

Code that keeps moving is no stall; kata.stall_spin proves that a thread
spins (by its CPU time and wake-ups, while the main thread's kata wait hears
nothing) and the detector then ends that wait the same way. So it does for a
thread that sleeps on in time.sleep() after the test set the stop event it
was to wait on (kata.stall_sleep; the test says so with ``stop_is_set``).
"""
from __future__ import annotations

import dataclasses
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from kata import stall_child, stall_tree
from kata.hygiene import _infrastructure_pids
from kata.stall_child import ChildWait, child_waits, cut_child
from kata.stall_tree import FUTEX, Sleep

GENERIC = "every thread waits for another: look at what each one waits for, above"  # stall_picture's
POLL = 0.02      # how often a test's threads are looked at
CONFIRM = 0.05   # how long every thread must stay asleep for a proof
SIGNAL = signal.SIGUSR2


class Stall(Exception):
    """Raised in the test's main thread: nobody in the test can ever move again."""


# -- the kata's own bounded waits --------------------------------------------------------------

@dataclass(eq=False)
class BoundedWait:
    """A kata wait in progress: a thread waits for something, at most until ``deadline``."""
    tid: int
    what: str
    deadline: float
    wake: object  # called (from the detector's thread) to end the wait early
    cut: bool = False  # ended by the detector: nobody could have ended it before its bound
    spun: bool = False  # ended by the detector because a thread of the test spins (kata.stall_spin)
    looks: bool = False  # a poll (poll_until): its thread wakes on its own to look at what the others do
    look_asked: int = 0  # the detector's latest request for a look (a number it counts up)
    looked: int = 0  # the latest request a look, begun after it, answered with "nothing yet"


_waits: dict[int, BoundedWait] = {}  # native thread id -> its wait in progress
_waits_lock = threading.Lock()
_last = threading.local()  # whether the calling thread's last kata wait was ended by the detector, and why


def _forget_in_child() -> None:
    """A forked child has none of its parent's other threads: not their waits, not a lock they held."""
    global _waits_lock, _watching
    _waits_lock = threading.Lock()
    _waits.clear()
    _servers.clear()
    _served.clear()
    _watching = None


os.register_at_fork(after_in_child=_forget_in_child)


@contextmanager
def bounded(timeout: float | None, what: str, wake):
    """Mark the calling thread as in a kata wait for the block's duration; yield its BoundedWait.

    ``wake()`` must make the wait return at once (it then returns as if its bound had run out).
    """
    me = BoundedWait(threading.get_native_id(), what,
                     math.inf if timeout is None else time.monotonic() + max(timeout, 0), wake)
    with _waits_lock:
        outer = _waits.get(me.tid)
        _waits[me.tid] = me
    try:
        yield me
    finally:
        _last.cut, _last.spun = me.cut and not me.spun, me.spun
        watching = _watching
        if watching is not None and not me.cut and time.monotonic() >= me.deadline:
            watching.note_expiry(me)
        with _waits_lock:
            if outer is None:
                _waits.pop(me.tid, None)
            else:
                _waits[me.tid] = outer


def was_cut() -> bool:
    """Whether the calling thread's last kata wait was ended early, by a stall."""
    return getattr(_last, "cut", False)


def was_spun() -> bool:
    """Whether the calling thread's last kata wait was ended early because a thread of the test spins."""
    return getattr(_last, "spun", False)


def waited(bound: float) -> str:
    """" after N s" when the calling thread's last kata wait ran to its bound, else "".

    For a message that tells how long the test waited: a wait the detector ended early did not last
    its bound, and the picture that follows the message says why it ended.
    """
    return "" if was_cut() or was_spun() else f" after {bound:g} s"


def wait_for(cond: threading.Condition, predicate, timeout: float | None, what: str) -> bool:
    """``cond.wait_for(predicate, timeout)``, with ``cond`` held, that the detector can end early.

    Returns predicate(): ended early, the wait answers as it would have at its bound.
    """
    def wake():
        if cond.acquire(timeout=1.0):  # held only briefly by a thread that can move
            try:
                cond.notify_all()
            finally:
                cond.release()

    with bounded(timeout, what, wake) as wait:
        cond.wait_for(lambda: wait.cut or predicate(), timeout)
        return bool(predicate())


def join(thread: threading.Thread, timeout: float, what: str) -> bool:
    """``thread.join(timeout)`` that the detector can end early; True when the thread has ended.

    Nothing but its end wakes a join (and an exception raised into one marks
    the thread as ended on some Pythons), so a daemon thread does the join and
    the caller waits, in a kata wait, to hear that it returned.
    """
    if thread.ident is None:
        thread.join(timeout)  # raises: a thread never started cannot be joined
    ended = threading.Condition(threading.Lock())

    def watch():
        thread.join()
        with ended:
            ended.notify_all()

    watcher = threading.Thread(target=watch, name=f"kata-join-{thread.name}", daemon=True)
    watcher.start()
    with ended:
        done = wait_for(ended, lambda: not thread.is_alive(), timeout, what)
    if done:
        watcher.join()  # it has only its notify to finish
    return done


def join_process(process, timeout: float, what: str) -> bool:
    """``process.join(timeout)`` (a multiprocessing Process) that the detector can end early; True once it ended.

    A daemon thread waits on the process's sentinel (readable once it has ended, under every start
    method; the proof sees a poll on a pipe of the tree) and the caller waits, in a kata wait, to hear
    it; only then is the process joined, which reaps it at once. The watcher never joins: one
    process joined from two threads may lose its exit code.
    """
    from multiprocessing.connection import wait as wait_on

    if process.ident is None:
        process.join(timeout)  # raises: a process never started cannot be joined
    sentinel = process.sentinel
    ended = threading.Condition(threading.Lock())
    seen = []

    def watch():
        try:
            wait_on([sentinel])
        except OSError:  # closed: the process was joined (or closed) meanwhile
            pass
        with ended:
            seen.append(True)
            ended.notify_all()

    watcher = threading.Thread(target=watch, name=f"kata-join-{process.name}", daemon=True)
    watcher.start()
    with ended:
        done = wait_for(ended, lambda: bool(seen) or process.exitcode is not None, timeout, what)
    if done:
        process.join(timeout)
    return done and process.exitcode is not None


def poll_until(predicate, timeout: float, what: str, every: float = 0.001) -> bool:
    """Look at ``predicate()`` every ``every`` seconds until it holds (True) or ``timeout`` runs out.

    For what nobody announces (where another thread's stack is, whether it sleeps): a kata wait
    that the detector can end early. ``predicate`` must only read what the test's other threads
    do. The poll keeps waking, so the proof leaves it out and asks it instead: once everyone else
    is proven asleep, it asks for a look; a look begun after the request that finds nothing, while
    nobody else has moved since, proves that nothing the poll waits for can ever happen.
    """
    asked = threading.Event()
    with bounded(timeout, what, asked.set) as wait:
        wait.looks = True
        while True:
            request = wait.look_asked  # read before the look: the look then began after the request
            if predicate():
                return True
            wait.looked = request
            if wait.cut or time.monotonic() >= wait.deadline:
                return bool(predicate())
            if asked.wait(every):
                asked.clear()  # a request for a look (or the cut, seen above next time)


_servers: set[int] = set()  # native ids of the threads that serve the test's clients (serving())


@contextmanager
def serving():
    """Mark the calling thread, for the block's duration, as a server's accept loop (kata.httpserver).

    Such a thread wakes only when a client connects (or its owner stops it), so the proof asks no
    more of it than of a thread older than the test: that it sleeps, and does not run between the
    two readings. A client in the tree that connects wakes it before its connect() returns; and what
    its handler threads do is theirs, proven like any thread of the test. Its wait must be untimed.
    """
    tid = threading.get_native_id()
    with _waits_lock:
        _servers.add(tid)
    try:
        yield
    finally:
        with _waits_lock:
            _servers.discard(tid)


_served: set[int] = set()  # the socket inodes of the connections a server of the test is answering now


@contextmanager
def served_connection(connection):
    """Mark, for the block's duration, a socket on which a handler thread of the test (the caller) answers.

    A thread of the test that waits on the other end of it waits for this handler only, and the
    handler is proven like any thread of the test (kata.stall_tree reads the waits on it).
    """
    try:
        inode = os.fstat(connection.fileno()).st_ino
    except (OSError, ValueError):
        yield
        return
    with _waits_lock:
        _served.add(inode)
    try:
        yield
    finally:
        with _waits_lock:
            _served.discard(inode)


def stop_is_set(stop: str) -> None:
    """The test has set the stop event the code under test knows as ``stop`` (or handed in one whose
    waits end at once): from now on, a thread of the test asleep in time.sleep() sleeps a sleep the
    event cannot end, and the test's kata waits end as soon as one is seen (kata.stall_sleep).

    Only for code that has no reason to sleep at all once stopped.
    """
    watching = _watching
    if watching is not None and watching.sleep is not None:
        watching.sleep.said(stop)


def barrier_wait(barrier: threading.Barrier, what: str) -> int:
    """``barrier.wait()`` that the detector can break early (BrokenBarrierError, as at its timeout).

    In a child process's main thread it is kata.stall_child's (a multiprocessing Barrier).
    """
    if stall_child.in_a_child():
        return stall_child.barrier_wait(barrier, what)
    with bounded(barrier._timeout if barrier._timeout is not None else None, what, barrier.abort):
        return barrier.wait()


# -- reading the kernel's view of a thread ------------------------------------------------------

def _read(tid: int) -> Sleep | None:
    return stall_tree.read(tid)


def available() -> bool:
    """Whether this machine lets the detector prove a stall."""
    if FUTEX is None or not sys.platform.startswith("linux"):
        return False
    return _read(threading.get_native_id()) is not None


def _registered(tids) -> dict[int, BoundedWait]:
    with _waits_lock:
        return {tid: _waits[tid] for tid in tids if tid in _waits}


def _polls(waits: dict[int, BoundedWait]) -> dict[int, BoundedWait]:
    """The polls (poll_until) among ``waits`` that still look: the proof asks them instead of reading them."""
    return {tid: wait for tid, wait in waits.items() if wait.looks and not wait.cut}


def thread_ids() -> set[int]:
    """The native ids of this process's threads, as /proc lists them (empty without /proc)."""
    try:
        return {int(name) for name in os.listdir("/proc/self/task")}
    except OSError:
        return set()


_watching = None  # the Detector of the test running now, if any


def own_threads() -> set[threading.Thread]:
    """The detector's thread for the test running now (it reads /proc and ends kata waits, nothing else)."""
    watching = _watching
    return {watching._thread} if watching is not None else set()


# -- the detector ---------------------------------------------------------------------------------

def _read_tree(children: dict[int, list[int]] | None) -> dict[tuple[int, int], Sleep] | None:
    """Every thread of the live children, by (pid, tid); None when one of them cannot be read."""
    if children is None:
        return None
    found = {}
    for pid, tids in children.items():
        for tid in tids:
            sleep = stall_tree.read(tid, pid)
            if sleep is None:
                return None
            found[pid, tid] = sleep
    return found


def _tree_stuck(sleep: Sleep) -> bool:
    """Whether a child's thread sleeps in a wait with a known deadline (a child has no kata waits)."""
    return sleep.state == "S" and (sleep.futex or sleep.on_the_tree) and sleep.deadline is not None


@dataclass
class Verdict:
    picture: str
    skipped: list[str] = field(default_factory=list)  # the bounded waits ended early, in order
    final: bool = False  # for ever: no bounded wait was left to end


class Detector:
    """Watches one test's threads from a daemon thread of its own, from start() to stop().

    ``describe(tids, timed)`` draws the picture of a stall (``timed``: the deadlines of the
    code under test's own timed waits, by thread id); ``locate(tids)`` says where
    the test's threads are when a bounded wait runs out (code that spins, or
    sleeps in a loop, is no stall: it meets the bound, and this says where it is).
    """

    def __init__(self, before: set[int], describe=None, locate=None, spared_children=frozenset(),
                 spin=None, sleep=None) -> None:
        # The thread that runs the test (made here, by it): the main thread, unless a plugin runs tests
        # elsewhere; only the main thread can be told by a signal.
        self._runner = threading.current_thread()
        self.main_tid = self._runner.native_id
        self.before = set(before) - {self.main_tid}  # threads older than the test: not its own
        self.describe = describe or (lambda tids, timed: "")
        self.locate = locate or (lambda tids, quiet=False: "")
        self.spared_children = set(spared_children)
        self.spin = spin  # a kata.stall_spin.SpinWatch: names a thread that spins while the test waits
        self.sleep = sleep  # a kata.stall_sleep.SleepWatch: names a thread that sleeps on once stop is set
        self.spinning: str | None = None  # what it saw (a spin, or a sleep on), once it ended a kata wait for that
        self.verdict: Verdict | None = None
        self.expiry: str | None = None  # where the test's threads were when a kata wait first ran out
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="kata-stall-detector", daemon=True)
        self._tid: int | None = None
        self._previous_handler = None
        self._cut_in_children: set[ChildWait] = set()
        self._still = None  # the others' sleep when the polls were last asked to look (_polls_looked)
        self._look = 0
        # For the timed waits whose start /proc does not show: when each thread was last seen with its
        # context-switch count of then, and since when, at the latest, it has not run (_since_when).
        self._seen: dict[int, tuple[int, float]] = {}
        self._since: dict[int, float | None] = {}
        self._sampled: tuple[float, set[int]] | None = None

    def start(self) -> Detector:
        global _watching
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(SIGNAL, self._raise_in_main)
        _watching = self
        self._sampled = (time.monotonic(), thread_ids())  # a thread not listed here began after this
        if available():
            self._thread.start()
        return self

    def stop(self) -> None:
        global _watching
        _watching = None
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join()
        if self._previous_handler is not None:
            signal.signal(SIGNAL, self._previous_handler)

    def where_now(self) -> str | None:
        """Where the test's threads are in the code under test, or None if none of them is there."""
        others = thread_ids() - self.before - {self._tid, self.main_tid}
        return self.locate(others, quiet=True) if others else None

    def note_expiry(self, wait: BoundedWait) -> None:
        if self.expiry is None:
            where = self.locate(thread_ids() - self.before - {self._tid})
            self.expiry = f"the kata's bounded wait ran out (a thread {wait.what}); the test's threads were then:\n" \
                f"{where}"

    def _raise_in_main(self, signum, frame) -> None:
        if self.verdict is not None and self.verdict.final:
            raise Stall(self.verdict.picture)

    # -- the proof -------------------------------------------------------------------------------

    def _watch(self) -> None:
        self._tid = threading.get_native_id()
        while not self._stop.wait(POLL):
            if self._spins() or self._sleeps_on():
                continue
            proof = self._prove()
            if proof is None:
                continue
            if self._act(*proof):
                return

    def _spins(self) -> bool:
        """Whether a thread of the test was just proven to spin (the main thread's kata wait is then ended)."""
        if self.spin is None:
            return False
        with _waits_lock:
            wait = _waits.get(self.main_tid)
        if wait is not None and (wait.cut or wait.deadline == math.inf):
            wait = None
        main = _read(self.main_tid) if wait is not None else None
        asleep = main is not None and main.state == "S"
        # Threads older than the test count too: one an earlier test left spinning in the student's
        # module keeps every later proof of a stall away, and only wrong code leaves one.
        others = thread_ids() - {self._tid, self.main_tid}
        found = self.spin.look(wait if asleep else None, main.switches if asleep else None, others)
        if found is None:
            return False
        self.spin.reset()
        return self._end_for(wait, found)

    def _sleeps_on(self) -> bool:
        """Whether a thread of the test was just proven to sleep on after the stop was set (kata.stall_sleep)."""
        if self.sleep is None or self.sleep.stop is None:
            return False
        with _waits_lock:
            wait = _waits.get(self.main_tid)
        if wait is None or wait.cut:
            return False
        found = self.sleep.look(thread_ids() - self.before - {self._tid, self.main_tid})
        return found is not None and self._end_for(wait, found)

    def _end_for(self, wait: BoundedWait, found) -> bool:
        """End the main thread's kata wait at once because of ``found`` (it describes what a thread does)."""
        with _waits_lock:
            if _waits.get(self.main_tid) is not wait or wait.cut:
                return False  # it ended meanwhile
            wait.cut = wait.spun = True
        if self.spinning is None:
            self.spinning = found.describe(wait.what)
        wait.wake()
        return True

    def _prove(self):
        """What nobody in the test's tree can change, if nobody there could move; else None.

        Returns the test's thread ids, their bounded waits, the deadlines of the code under test's
        own timed waits (by thread id) and the live child processes' sleeps (by (pid, tid)).
        """
        at = time.monotonic()
        everyone = thread_ids() - {self._tid}
        with _waits_lock:
            mine = everyone - self.before - _servers  # a server need only sleep, as older threads do
            served = set(_served)
        first = self._since_when(at, {tid: _read(tid) for tid in everyone})
        registered = _registered(mine)
        polls = _polls(registered)
        if not self._stuck(mine - polls.keys(), first, registered, polls):
            return None
        children = stall_tree.descendants()
        # They must sleep; what in does not matter (the test's own, and those of a program it runs).
        helpers = self.spared_children | _infrastructure_pids() | stall_tree.multiprocessing_helpers(children or ())
        first_tree = _read_tree(children)
        if first_tree is None or not all(
                sleep.state == "S" if pid in helpers else _tree_stuck(sleep) for (pid, _), sleep in first_tree.items()):
            return None
        sleeps = [first[tid] for tid in mine - polls.keys()] + [
            sleep for (pid, _), sleep in first_tree.items() if pid not in helpers]
        if any(sleep.reaps is not None and sleep.reaps not in children or not sleep.ends <= children.keys()
               for sleep in sleeps):
            return None  # it waits for a process outside the tree to end
        if any(sleep.sockets for (pid, _), sleep in first_tree.items() if pid not in helpers):
            return None  # a child on a socket: nobody here knows who answers it
        sockets = set().union(*(sleep.sockets for sleep in sleeps if sleep.sockets))
        peers = stall_tree.tcp_peers(sockets)
        if not all(peer in served for peer in peers.values()):
            return None  # a socket whose other end no server of the test is answering on
        # Looked at while they sleep (the second reading proves they slept throughout): a pipe held
        # outside the tree could be filled or drained by somebody the proof cannot see.
        pipes = set().union(*(sleep.pipes for sleep in sleeps if sleep.pipes), sockets, peers.values())
        if not stall_tree.pipes_held_only_by(pipes, set(children) - self.spared_children | {os.getpid()}):
            return None
        if self._stop.wait(CONFIRM):
            return None
        # Read while nobody runs (checked next), so it is what the sleeping threads left.
        waits = _registered(mine)
        in_children = child_waits(set(children) - helpers)
        second = {tid: _read(tid) for tid in everyone}
        if thread_ids() - {self._tid} != everyone or stall_tree.descendants() != children:
            return None
        second_tree = _read_tree(children)
        if _polls(waits) != polls:
            return None  # a poll began or ended meanwhile: its thread moved
        pairs = [(first[tid], second[tid]) for tid in everyone - polls.keys()]
        pairs += [(first_tree[key], second_tree.get(key)) for key in first_tree] if second_tree is not None else [
            (None, None)]
        for a, b in pairs:
            if a is None or b is None or b.state != "S" or a.switches != b.switches:
                return None
        # Each thread slept from its first reading to its second: the first one shows the wait it is in.
        if not self._stuck(mine - polls.keys(), first, waits, polls):
            return None
        if polls and not self._polls_looked(polls, {tid: second[tid] for tid in mine - polls.keys()}, second_tree):
            return None
        # The code under test's own timed waits: their deadlines (monotonic) by thread.
        timed = {tid: first[tid].deadline for tid in mine if tid not in waits and first[tid].deadline < math.inf}
        tree = {key: sleep for key, sleep in first_tree.items() if key[0] not in helpers}
        timed |= {tid: sleep.deadline for (pid, tid), sleep in tree.items()
                  if sleep.deadline < math.inf and (pid, tid) not in in_children}
        return mine, waits, timed, tree, in_children

    def _since_when(self, at: float, sample: dict[int, Sleep | None]) -> dict[int, Sleep | None]:
        """The sample, each timed wait of unknown start given a deadline no later than its real one.

        A thread whose count changed since the last sample (or that was not there) has run since
        then: its wait began after that sample, so it ends no sooner than that plus its length.
        """
        sampled, listed = self._sampled if self._sampled is not None else (None, set())
        for tid, sleep in sample.items():
            if sleep is None:
                continue
            seen = self._seen.get(tid)
            if seen is None:
                self._since[tid] = sampled if tid not in listed else None
            elif seen[0] != sleep.switches:
                self._since[tid] = seen[1]
            self._seen[tid] = (sleep.switches, at)
        self._sampled = (at, set(sample))
        bounded = {}
        for tid, sleep in sample.items():
            since = self._since.get(tid)
            if sleep is not None and sleep.timeout is not None and sleep.deadline is None and since is not None:
                sleep = dataclasses.replace(sleep, deadline=since + sleep.timeout)
            bounded[tid] = sleep
        return bounded

    def _polls_looked(self, polls, others, tree) -> bool:
        """Whether every poll has looked, and found nothing, since the others were last seen asleep as now.

        The others' context-switch counts name the moment: unchanged, nobody of them has run since.
        A new moment asks each poll for a look (its answer comes with a later proof).
        """
        still = (frozenset(polls.items()),
                 frozenset((tid, sleep.switches) for tid, sleep in others.items()),
                 frozenset((key, sleep.switches) for key, sleep in tree.items()))
        if still != self._still:
            self._still = still
            self._look += 1
            for wait in polls.values():
                wait.look_asked = self._look
                wait.wake()
            return False
        return all(wait.looked == self._look for wait in polls.values())

    @staticmethod
    def _stuck(mine, sample, in_bounded, polls=()) -> bool:
        """Whether each of the test's threads sleeps in a wait with a known deadline, or a kata wait.

        (``mine`` leaves out the threads in a poll, ``polls``: they are asked instead.)
        """
        for tid in mine:
            now = sample.get(tid)
            if now is None or now.state != "S" or not (now.futex or now.on_the_tree):
                return False
            if now.deadline is None and tid not in in_bounded:
                return False
        return bool(mine) or bool(polls)

    # -- what a proven stall does ---------------------------------------------------------------

    def _picture(self, tids, timed, tree, in_children=None) -> str:
        picture = self.describe(tids, timed).splitlines()
        in_children = in_children or {}
        children = stall_tree.describe(tree, {key: wait.what for key, wait in in_children.items()}).splitlines()
        at = next((i for i, line in enumerate(picture) if line.startswith("likely mistake:")), len(picture))
        if at < len(picture) and picture[at] == f"likely mistake: {GENERIC}" and \
                any("joins the child process" in line for line in picture) and \
                any("rendezvous" in wait.what for wait in in_children.values()):
            picture[at] = ("likely mistake: a process is joined while its child waits at the rendezvous for "
                           "children that were never started: did you call join() inside the start loop?")
        return "\n".join(picture[:at] + children + picture[at:])

    def _act(self, tids, waits, timed, tree, in_children) -> bool:
        """Skip ahead to the earliest bound; True when the stall is for ever and the main thread was told."""
        pending = [wait for wait in waits.values() if not wait.cut and wait.deadline < math.inf]
        pending += [wait for wait in in_children.values() if wait not in self._cut_in_children]
        first = min(pending, key=lambda wait: wait.deadline, default=None)
        if timed and (first is None or min(timed.values()) <= first.deadline):
            return False  # the code under test's own timeout comes first: let it run out
        if self.verdict is None:
            self.verdict = Verdict(self._picture(tids, timed, tree, in_children))
        if isinstance(first, ChildWait):
            if cut_child(first):
                self._cut_in_children.add(first)
                self.verdict.skipped.append(f"{first.what}, in child process {first.pid}")
            return False
        if any(wait in self._cut_in_children for wait in in_children.values()):
            return False  # a child's wait already ended early has not returned yet
        if first is not None:
            with _waits_lock:
                if _waits.get(first.tid) is not first:
                    return False  # it ended meanwhile: look again
                first.cut = True
            self.verdict.skipped.append(first.what)
            first.wake()
            return False
        if any(wait.deadline < math.inf for wait in waits.values()):
            return False  # a wait already ended early has not returned yet: its bound still will
        if self.main_tid not in tids or self._previous_handler is None:  # no way to interrupt the runner
            return True
        self.verdict = Verdict(self._picture(tids, timed, tree, in_children), self.verdict.skipped, final=True)
        signal.pthread_kill(self._runner.ident, SIGNAL)
        return True
