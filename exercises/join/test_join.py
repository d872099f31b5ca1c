"""Tests for exercises/join — one group per task in README.md.

The tests never time your workers. Workers that must overlap meet at a
barrier that only trips when all of them are inside at once; children stamp
their start and end with a shared counter, so a failure can draw who ran
when. A worker that must still be running is held at a gate (an Event that
only the test opens), and a stand-in worker notes how your code waited for it.
The work children run and the context's records live where your module runs
(the ``probes`` fixture): in this process, or under --sandbox in the sandbox's.
"""
import pickle
import threading

import pytest

from kata import boundary, bounds, caller, stall
from kata.contexts import process_topic_fixture, spy_context_fixture
from kata.probes import Occupancy, Rendezvous
from kata.probes_join import JoinGate as UntilJoined
from kata.support import join as join_support
from kata.support.join import WatchedWorker
from kata.workers import run_bounded

join = process_topic_fixture("join")  # refuses queues and locks kept as module globals
mp_context = spy_context_fixture()  # checks what children are sent; records what was built


@pytest.fixture
def probes():
    """kata.support.join as your module's process has it: the work its children run, the context's records."""
    return boundary.support(join_support)

LABELS = ("north", "south", "east", "west")
COLOURS = ("red", "green", "blue")


# -- task 1: start them all, then join them all ------------------------------------

@pytest.mark.task(1)
def test_threads_started_together_overlap(join, timeline):
    meeting = Rendezvous(len(LABELS))
    lock = threading.Lock()
    working = {}  # the threads inside their work right now: each one's key -> its name
    company = {}  # label -> how many workers were working (itself included) when its work began

    held = UntilJoined()  # each worker, once met, stays until its own thread is joined: none ends by luck

    def work(label):
        # Threads are told apart by caller.thread_key(), which names the same thread in one process and
        # under --sandbox (where a judge thread serves each of your threads' calls).
        me = caller.thread_key()
        with lock:
            company[label] = 1 + len(working)
            working[me] = caller.thread_name()
        try:
            with timeline.span(label):
                meeting.meet(label)
            if me != calling[0]:  # nobody could join the calling thread itself
                held.hold(label)
        finally:
            with lock:  # its work is over: a worker joined before the next began has left before it
                working.pop(me, None)

    calling = []

    def call():
        calling.append(caller.thread_key())
        join.run_threads(work, LABELS)

    with held.watching(workers=0):
        run_bounded(call, timeout=bounds.HANG + bounds.OVERLAP * len(LABELS), what="run_threads()")
        with lock:
            still_working = sorted(working.values())
    picture = f"{timeline.render()}\nhint: start every thread first, then join them all (README, task 1)"
    if still_working:
        pytest.fail(f"run_threads() returned while the threads {still_working} were still working: join every "
                    "thread before returning (all of them, not just the last one)\n" + picture, pytrace=False)
    if meeting.tripped:
        return
    if len(company) == len(LABELS) and max(company.values()) == 1:
        pytest.fail(f"{len(LABELS)} threads ran one after another; expected them to overlap — each was the "
                    "only one alive when its work began: did you call join() inside the start loop?\n"
                    + picture, pytrace=False)
    pytest.fail(f"the threads' work did not overlap: {len(meeting.met)} of {len(LABELS)} were inside at once "
                f"(work ran for {sorted(company)})\n" + picture, pytrace=False)


@pytest.mark.task(1)
def test_each_label_runs_once_in_its_own_named_thread(join):
    lock = threading.Lock()
    seen = []
    working = Occupancy()

    def work(label):
        with working, lock:
            seen.append((label, caller.thread_key(), caller.thread_name()))

    run_bounded(join.run_threads, work, LABELS, what="run_threads()")
    # Work a missing join() left running ends before the verdict (that mistake is the next test's).
    working.wait_all_left(len(LABELS))
    labels = sorted(label for label, _, _ in seen)
    assert labels == sorted(LABELS), (
        f"run_threads(work, {LABELS}) called work for {labels}; expected each label once")
    main = caller.thread_key()
    keys = {key for _, key, _ in seen}
    assert main not in keys and len(keys) == len(LABELS), (
        f"work ran in {len(keys)} thread(s) for {len(LABELS)} labels; expected one new "
        "thread per label")
    misnamed = {label: name for label, _, name in seen if name != label}
    assert not misnamed, (
        f"label -> thread name: {misnamed}; expected each thread named after its label: "
        "threading.Thread(target=work, args=(label,), name=label)")


@pytest.mark.task(1)
def test_run_threads_returns_after_every_thread_has_finished(join):
    gate = UntilJoined()  # each worker finishes only once somebody joins its thread
    lock = threading.Lock()
    finished = []

    def work(label):
        gate.hold(label)
        with lock:
            finished.append(label)

    with gate.watching(workers=len(LABELS)):
        run_bounded(join.run_threads, work, LABELS, what="run_threads()")
        with lock:
            done = sorted(finished)
    # A worker let go before the call returned was let go by a join() of its thread; one still held then
    # may have been joined once with a timeout that ran out.
    joined = sorted(label for label in LABELS
                    if label in gate.timed_joins or label not in gate.outlived + gate.never_joined)
    assert done == sorted(LABELS), (
        f"run_threads() returned when only {done} of {sorted(LABELS)} had finished their work; it joined the "
        f"threads of {joined}: join every thread before returning (and join them all, not just the last one)")


# -- task 2: the same with processes ----------------------------------------------

def run_children(join, mp_context, probes, work, common_args):
    """Call run_processes(work, COLOURS, mp_context, common_args), naming a target that cannot be pickled."""
    try:
        exitcodes = join.run_processes(work, COLOURS, mp_context, common_args)
        record = join_support.checked_record(probes.spy_record(mp_context))  # labels built, joined, not joined
        unjoined = sorted(record["unjoined"])
        if unjoined:
            pytest.fail(f"run_processes() returned {exitcodes!r} without joining the children for {unjoined}: "
                        "join every child before returning (all of them, not just the last one), then read the "
                        "exit codes — an exit code read before join() may be None", pytrace=False)
        if not record["built"]:
            pytest.fail("run_processes() started no process with the mp_context it was given: make each child "
                        "with mp_context.Process(...), not multiprocessing.Process(...), so that it starts the way "
                        "the caller chose (fork, forkserver or spawn)", pytrace=False)
        return exitcodes
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        text = str(exc)
        if "pickle" not in text.lower() and "local object" not in text:
            raise
        pytest.fail(
            f"starting a child failed under the {mp_context.get_start_method()} start method with "
            f"{type(exc).__name__}: {text}. Spawn and forkserver send the target to the child by its name, "
            "so it must be a module-level function: pass target=work, args=(label, *common_args) — not a "
            "lambda or a function defined inside run_processes()", pytrace=False)


@pytest.mark.task(2)
def test_processes_started_together_overlap(join, mp_context, probes, tmp_path):
    folder = boundary.writable_dir(tmp_path)  # where the children may write their notes
    barrier = mp_context.Barrier(len(COLOURS), timeout=bounds.HANG)
    clock = mp_context.Value("i", 0)
    exitcodes = run_children(join, mp_context, probes, probes.meet_and_note, (barrier, clock, str(folder)))
    notes = join_support.read_notes(folder)
    missing = sorted(set(COLOURS) - set(notes))
    assert not missing, (
        f"the children for {missing} never reported back (run_processes() returned {exitcodes!r}): start "
        "one mp_context.Process per label with args=(label, *common_args), and join each before returning")
    if all(join_support.met(note) for note in notes.values()):
        return
    timeline = join_support.timeline_of(notes)
    picture = f"{timeline.render()}\nhint: start every process first, then join them all (README, task 2)"
    if not timeline.overlapped():
        pytest.fail(f"{len(COLOURS)} processes ran one after another; expected them to overlap — each child "
                    "ended before the next began: did you call join() inside the start loop?\n" + picture,
                    pytrace=False)
    pytest.fail(f"the children did not all wait at the barrier at once: "
                f"{sum(join_support.met(note) for note in notes.values())} of {len(COLOURS)} met\n" + picture,
                pytrace=False)


@pytest.mark.task(2)
def test_each_label_runs_in_a_child_process_with_the_common_args(join, mp_context, probes, tmp_path):
    folder = boundary.writable_dir(tmp_path)  # where the children may write their notes
    common_args = (str(folder), "spare", 7)
    exitcodes = run_children(join, mp_context, probes, probes.note_arguments, common_args)
    notes = join_support.read_notes(folder)
    assert sorted(notes) == sorted(COLOURS), (
        f"children reported for {sorted(notes)}; expected one child per label: {sorted(COLOURS)}")
    wrong = {label: note["args"] for label, note in notes.items() if note["args"] != [label, *common_args]}
    assert not wrong, (
        f"the children were called with {wrong}; expected work(label, *common_args), e.g. "
        f"work('red', {', '.join(map(repr, common_args))}): args=(label, *common_args)")
    pids = {note["pid"] for note in notes.values()}
    parent = boundary.process_id()  # the process your module runs in
    assert parent not in pids and len(pids) == len(COLOURS), (
        f"the work ran in {len(pids)} process(es) {'including' if parent in pids else 'besides'} this one; "
        f"expected {len(COLOURS)} child processes, one per label")
    assert exitcodes == {label: 0 for label in COLOURS}, (
        f"run_processes() returned {exitcodes!r}; expected {{label: 0}} for every label — join each child, "
        "then read its exitcode (it is None while the child may still be running)")


@pytest.mark.task(2)
def test_run_processes_returns_after_every_child_has_finished(join, mp_context, probes, tmp_path):
    folder = boundary.writable_dir(tmp_path)  # where the children may write their notes
    gates = {label: mp_context.Event() for label in COLOURS}  # a child finishes only once it is joined
    probes.open_gates_on_join(mp_context, gates)
    try:
        exitcodes = run_children(join, mp_context, probes, probes.note_when_released, (gates, str(folder)))
        done = sorted(join_support.read_notes(folder))
        joined = sorted(set(join_support.checked_record(probes.spy_record(mp_context))["joined"]))
    finally:
        for gate in gates.values():  # open every gate while its child still waits (never after a kill)
            gate.set()
        probes.join_all(mp_context, bounds.HANG)
    assert done == sorted(COLOURS), (
        f"run_processes() returned {exitcodes!r} when only the children for {done} of {sorted(COLOURS)} had "
        f"finished; it joined those for {joined}: join every child before returning (all of them, not just "
        "the last one), then read the exit codes")


# -- task 3: wait with a limit: join(timeout) and is_alive() --------------------------

def held_thread(gate):
    thread = threading.Thread(target=gate.wait, args=(bounds.HELD,), name="held")
    thread.start()
    return thread


def ask_once_about_a_finished_thread(join):
    """Call finished_within() on the test's own thread first, before any child is started for it."""
    done = threading.Thread(target=int, name="done")
    done.start()
    done.join()
    join.finished_within(done, 0)


def held_process(mp_context, probes, gate):
    process = mp_context.Process(target=probes.wait_at_gate, args=(gate,), name="held")
    process.start()
    return process


def check_bounded_wait(join, watched, timeout, finishes, kind):
    """Call finished_within(watched, timeout) and judge the answer against what really happened."""
    result = run_bounded(join.finished_within, watched, timeout, timeout=4 * bounds.HANG,
                         what=f"finished_within({kind}, {timeout})")
    called = f"finished_within({kind}, {timeout}) called {watched.describe()} on it"
    joins = watched.joins
    if not joins:
        pytest.fail(f"{called}; expected join(timeout) and then is_alive()", pytrace=False)
    if None in joins:
        pytest.fail(f"{called}: join() without a timeout waits for as long as the {kind} runs — this one was "
                    "held at a gate, so forever. A bounded wait was asked: worker.join(timeout)", pytrace=False)
    if joins[0] != timeout:
        pytest.fail(f"{called}; expected join({timeout!r}), with the timeout it was given", pytrace=False)
    if result is None:
        pytest.fail(f"{called} and returned None: join() always returns None, whatever happened — ask "
                    "worker.is_alive() after the join and return not alive", pytrace=False)
    if finishes:
        if result is False and watched.asked_alive_before_joining():
            pytest.fail(f"{called} and returned False, but the {kind} finished during the wait: it asked "
                        "is_alive() before join(), so the answer was stale — ask is_alive() after "
                        "join(timeout)", pytrace=False)
        assert result is True, (
            f"{called} and returned {result!r}; the {kind} finished during the wait, so expected True")
    else:
        assert result is False, (
            f"{called} and returned {result!r} while the {kind} was still alive, held at a gate; expected "
            "False: return not worker.is_alive() — True means it has finished")


@pytest.mark.task(3)
def test_a_bounded_wait_gives_up_on_a_thread_still_running(join):
    gate = threading.Event()
    thread = held_thread(gate)
    try:
        check_bounded_wait(join, WatchedWorker(thread, gate), bounds.BRIEF, finishes=False, kind="thread")
        assert thread.is_alive(), "the thread ended while it should have been held at the gate"
    finally:
        gate.set()
        stall.join(thread, bounds.HANG, "waits for the held thread to end")


@pytest.mark.task(3)
def test_a_bounded_wait_sees_a_thread_that_finishes_during_it(join):
    gate = threading.Event()
    thread = held_thread(gate)
    try:
        check_bounded_wait(join, WatchedWorker(thread, gate, open_gate_on_join=True), bounds.HANG,
                           finishes=True, kind="thread")
    finally:
        gate.set()
        stall.join(thread, bounds.HANG, "waits for the held thread to end")


@pytest.mark.task(3)
def test_a_bounded_wait_gives_up_on_a_process_still_running(join, mp_context, probes):
    ask_once_about_a_finished_thread(join)
    gate = mp_context.Event()
    process = held_process(mp_context, probes, gate)
    try:
        check_bounded_wait(join, WatchedWorker(process, gate), bounds.BRIEF, finishes=False, kind="process")
        assert process.is_alive(), "the child ended while it should have been held at the gate"
    finally:
        probes.release(process, gate)


@pytest.mark.task(3)
def test_a_bounded_wait_sees_a_process_that_finishes_during_it(join, mp_context, probes):
    ask_once_about_a_finished_thread(join)
    gate = mp_context.Event()
    process = held_process(mp_context, probes, gate)
    try:
        check_bounded_wait(join, WatchedWorker(process, gate, open_gate_on_join=True), bounds.HANG,
                           finishes=True, kind="process")
        assert process.exitcode == 0, f"the child's exit code was {process.exitcode!r}; expected 0"
    finally:
        probes.release(process, gate)
