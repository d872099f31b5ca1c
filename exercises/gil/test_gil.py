"""Tests for exercises/gil — one group per task in README.md.

No test here times anything: whether threads speed up a piece of work depends
on the machine, the load and the build of Python (a free-threaded 3.13t or 3.14t
has no GIL at all, and its threads do compute in parallel). Where a message
explains the GIL, it asks kata.build which build this is and says what is true
on it. The tests check the mechanism instead: waiting tasks meet at a
rendezvous that only tasks running at the same time can reach; computing tasks
report the process they ran in, and meet at a cross-process barrier that only
one worker process per task can trip. `kata bench gil` shows the speeds.
The tasks pool workers run, and what a test pretends about the interpreter,
live where your module runs (the ``probes`` fixture): in this process, or
under --sandbox in the sandbox's.
"""
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from kata import boundary, bounds, caller, stall
from kata.contexts import process_topic_fixture, spy_context_fixture
from kata.probes import Rendezvous
from kata.probes_join import JoinGate
from kata.support import gil as gil_probes
from kata.support.pool_tasks import PROCESS_HANG
from kata.workers import run_bounded

gil = process_topic_fixture("gil")  # refuses queues and locks kept as module globals
mp_context = spy_context_fixture()  # checks what children are sent; records what was built


@pytest.fixture
def probes():
    """kata.support.gil as your module's process has it: the tasks its pools run, what the tests pretend there."""
    return boundary.support(gil_probes)


# The tests call your code from a helper thread (so that a hang becomes a failed test); Python 3.12+
# warns about any fork() in a process with threads. The helper holds no lock a child could need.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")

ITEMS = (1, 2, 3)
CPUS = 7  # what os.cpu_count() says while a test sizes a pool: never len(ITEMS)


def bounded(call, *args, what, timeout=2 * bounds.HANG + bounds.OVERLAP, **kwargs):
    return run_bounded(call, *args, timeout=timeout, what=what, **kwargs)


def not_in_yet(results) -> str:
    """The hint for results still missing when run_in_threads() returned (a thread not joined yet)."""
    if isinstance(results, list) and None in results:
        return (" — some results were still None when run_in_threads() returned, so their threads had not "
                "finished: join every thread you started, not only the last one")
    return ""


class HeldUntilJoined:
    """Calls run_in_threads() with work that stays inside until its own thread is joined (a JoinGate).

    Trivial work would finish before anyone looks, so a thread left unjoined would
    pass by luck; held, its result is missing for certain when run_in_threads()
    returns, and what came back is copied at that moment. Work that runs in the
    calling thread itself is not held: nobody could join that thread.
    """

    def __init__(self, gil) -> None:
        self.gil = gil
        self.gate = JoinGate()
        self.caller = None  # the thread that called run_in_threads(), as caller.thread_key() tells it

    def hold(self, item) -> None:
        if caller.thread_key() != self.caller:
            self.gate.hold(f"task {item}")

    def run(self, work, items, what="run_in_threads()"):
        def call():
            self.caller = caller.thread_key()
            results = self.gil.run_in_threads(work, items)
            return list(results) if isinstance(results, list) else results  # as it was when the call returned

        with self.gate.watching(workers=0):  # then let the unjoined go, and wait for them to leave
            return bounded(call, what=what)


def built(word):
    """An equal str that is not the literal's object: what a kind read from a file or a command line is."""
    return "".join(list(word))


def choose(gil, kind, *args, **kwargs):
    """choose_executor(kind, ...), failing with a lesson if a valid kind is refused."""
    try:
        return gil.choose_executor(kind, *args, **kwargs)
    except ValueError as error:
        refused = str(error)
    pytest.fail(f"choose_executor({kind!r}, ...) raised ValueError ({refused}), though {kind!r} is a valid kind: "
                "compare the kind with ==, not `is` — an equal string need not be the same object", pytrace=False)


def kind_of(probes, obj) -> str:
    """The name of the class of what the code returned, as your module's process knows it."""
    name = probes.type_name(obj)
    return name if type(name) is str else "an object whose class the sandbox would not name"


# -- task 1: threads for waiting ------------------------------------------------

@pytest.mark.task(1)
def test_waiting_tasks_wait_at_the_same_time_in_threads(gil, timeline):
    meeting = Rendezvous(len(ITEMS))
    held = HeldUntilJoined(gil)
    lock = threading.Lock()
    working = set()  # the threads of your code inside a task right now (caller.thread_key())
    others_alive = []  # for each task: how many threads of your code were at work as it began, itself included

    def wait_for_the_others(item):
        # Threads are told apart by caller.thread_key(), which names the same thread in one process and
        # under --sandbox (where a judge thread serves each of your threads' calls).
        me = caller.thread_key()
        mine = me != held.caller  # a task run by the calling thread itself counts no thread of its own
        with lock:
            others_alive.append(1 + len(working) if mine else 0)
            if mine:
                working.add(me)
        try:
            with timeline.span(f"task {item}"):
                meeting.meet(f"task {item}")  # waiting, like a download: the GIL is free meanwhile
            held.hold(item)
        finally:
            with lock:  # its task is over: a thread joined before the next began has left before it
                working.discard(me)
        return item * 10

    results = held.run(wait_for_the_others, list(ITEMS))
    if not meeting.tripped and not_in_yet(results):
        pytest.fail(f"run_in_threads(work, {list(ITEMS)}) returned {results!r} while only {len(meeting.met)} of "
                    f"{len(ITEMS)} tasks had met\n{timeline.render()}\nhint: {not_in_yet(results)[3:]}",
                    pytrace=False)
    if not meeting.tripped:
        if max(others_alive, default=0) <= 0:
            hint = ("every task ran in the calling thread: start one threading.Thread per item "
                    "(README, task 1)")
        elif max(others_alive, default=0) <= 1:
            hint = ("each thread was the only one alive when its task began: did you call join() inside the "
                    "start loop? Start every thread first, then join them all (README, task 1)")
        else:
            hint = "start a thread for every item before joining any (README, task 1)"
        pytest.fail(f"{len(ITEMS)} waiting tasks ran one after another; expected them to wait at the same "
                    f"time ({len(meeting.met)} of {len(ITEMS)} met)\n{timeline.render()}\nhint: {hint}",
                    pytrace=False)
    expected = [item * 10 for item in ITEMS]
    in_some_order = isinstance(results, list) and sorted(results, key=repr) == sorted(expected, key=repr)
    assert results == expected, (
        f"run_in_threads(work, {list(ITEMS)}) returned {results!r}; expected {expected!r}"
        + (", in the order of the items: keep each result at its item's index, not in the order the tasks "
           "finished" if in_some_order else not_in_yet(results)))


@pytest.mark.task(1)
def test_results_come_back_in_the_order_of_the_items(gil):
    # Gates make the last item finish first and the first item last; the first is held until joined.
    changed = threading.Condition()
    held = HeldUntilJoined(gil)
    order = []

    def work(item):
        later = item + 1
        if later in ITEMS:  # a kata wait: tasks run one after another end it at once, as nobody can move
            with changed:
                stall.wait_for(changed, lambda: later in order, bounds.OVERLAP, f"task {item} waits for task {later}")
        with changed:
            order.append(item)
            changed.notify_all()
        if item == ITEMS[0]:
            held.hold(item)
        return f"result of {item}"

    results = held.run(work, list(ITEMS))
    expected = [f"result of {item}" for item in ITEMS]
    assert results == expected, (
        f"the tasks finished in the order {order}; run_in_threads() returned {results!r}; expected {expected!r}"
        + (not_in_yet(results) or ", in the order of the items: keep each result at its item's index, not in "
           "the order they finished"))


@pytest.mark.task(1)
def test_each_task_runs_in_a_thread_of_its_own(gil):
    held = HeldUntilJoined(gil)

    def work(item):
        held.hold(item)
        return caller.thread_key()  # names one thread for the whole test: an ident may be reused once it ends

    threads = held.run(work, list(ITEMS))
    assert held.caller not in threads, (
        "a task ran in the thread that called run_in_threads(): run every task in a new thread")
    assert len(set(threads)) == len(ITEMS), (
        f"{len(ITEMS)} tasks ran in {len(set(threads))} threads; expected one thread per item{not_in_yet(threads)}")


@pytest.mark.task(1)
def test_run_in_threads_returns_only_after_every_thread_has_finished(gil):
    gate = JoinGate()
    in_caller = []  # tasks run by the thread that called run_in_threads(): nobody could join it, so not held

    def call():
        me = caller.thread_key()

        def work(item):
            if caller.thread_key() == me:
                in_caller.append(item)
            else:
                gate.hold(f"task {item}")

        return gil.run_in_threads(work, list(ITEMS))

    with gate.watching(workers=lambda: len(ITEMS) - len(in_caller)):
        bounded(call, timeout=bounds.HANG * (len(ITEMS) + 1), what="run_in_threads()")
    assert gate.all_left, f"run_in_threads() returned, but its {len(ITEMS)} tasks never all began"
    assert not gate.timed_joins, (
        f"run_in_threads() returned while the threads of {sorted(gate.timed_joins)} were still running: "
        "join(timeout) gave up waiting, and a join() that times out does not mean the thread has finished — "
        "join() each thread without a timeout")
    assert not gate.outlived, (
        f"run_in_threads() returned while the threads of {sorted(gate.outlived)} were still running (each "
        "task was held until its own thread was joined), so their results were not in yet: join every thread "
        "you started, not only the last one — for thread in threads: thread.join()")
    assert not gate.never_joined, (
        f"the tasks {sorted(gate.never_joined)} waited {bounds.HANG:g} s for run_in_threads() to join their "
        "threads")


# -- task 2: processes for computing ---------------------------------------------

@pytest.mark.task(2)
def test_computing_tasks_run_in_distinct_processes_at_once(gil, mp_context, probes):
    barrier = mp_context.Barrier(len(ITEMS), timeout=PROCESS_HANG)  # spawned workers start slowly when loaded
    with probes.cpu_count(CPUS):  # a pool sized by default gets CPUS workers, on every machine
        results = bounded(gil.run_in_processes, probes.meet, list(ITEMS), mp_context,
                          initializer=probes.install_barrier, initargs=(barrier,), what="run_in_processes()",
                          timeout=PROCESS_HANG + 2 * bounds.HANG)
    results = gil_probes.checked(results, gil_probes.MEETING, f"run_in_processes(work, {list(ITEMS)}, ...)")
    parent = boundary.process_id()  # the process your module runs in
    assert [item for item, _, _ in results] == list(ITEMS), (
        f"run_in_processes(work, {list(ITEMS)}, ...) returned results for {[r[0] for r in results]!r}; "
        "expected one result per item, in the order of the items")
    pids = [pid for _, pid, _ in results]
    if set(pids) == {parent}:
        pytest.fail("every task ran in the test's own process: threads chosen for CPU-bound work? "
                    f"{gil_probes.why_not_threads_for_computing()}; use a ProcessPoolExecutor(..., "
                    "mp_context=mp_context) so that each task gets an interpreter of its own", pytrace=False)
    met = sum(1 for _, _, was_met in results if was_met)
    assert met == len(ITEMS), (
        f"only {met} of {len(ITEMS)} tasks were running at once ({len(set(pids))} distinct processes ran them): "
        "a pool that runs tasks one after another — give the pool one worker per item "
        "(max_workers=len(items)) and pass initializer/initargs on to it")
    sizes = gil_probes.checked_sizes(mp_context.pool_sizes())
    if sizes and sizes != [len(ITEMS)]:
        pytest.fail(f"run_in_processes(work, {list(ITEMS)}, ...) made a process pool with max_workers={sizes[0]}; "
                    f"expected one worker per item, max_workers=len(items) = {len(ITEMS)}"
                    + (" — without max_workers a pool takes os.cpu_count() workers, however many items there are"
                       if sizes == [CPUS] else ""), pytrace=False)
    assert parent not in pids and len(set(pids)) == len(ITEMS), (
        f"the tasks ran in processes {pids} (the test is {parent}); expected {len(ITEMS)} distinct "
        "child processes")


@pytest.mark.task(2)
def test_computed_results_come_back_in_the_order_of_the_items(gil, mp_context, probes):
    sizes = [30_000, 10, 2_000]
    results = bounded(gil.run_in_processes, probes.crunch, sizes, mp_context, what="run_in_processes()")
    expected = [gil_probes.crunch(n) for n in sizes]  # computed here, by the kata's own copy
    whole = type(results) is list and all(type(result) is int for result in results)  # 1.0 == 1, True == 1
    assert whole and results == expected, (
        f"run_in_processes(crunch, {sizes}, ...) returned {results!r}; expected {expected!r}: one result per "
        "item, in the order of the items (pool.map keeps the order)")


@pytest.mark.task(2)
def test_the_pool_starts_its_processes_with_the_given_context(gil, mp_context, probes, start_method):
    results = bounded(gil.run_in_processes, probes.process_kind, [1, 2], mp_context,
                      what="run_in_processes()")
    results = gil_probes.checked(results, gil_probes.KIND, "run_in_processes(work, [1, 2], ...)")
    kinds = {kind for _, kind in results}
    expected = gil_probes.PROCESS_KINDS[start_method]
    assert kinds == {expected}, (
        f"the pool's workers were {sorted(kinds)}; expected {expected} (start method {start_method!r}): pass "
        "mp_context=mp_context to ProcessPoolExecutor — the mp_context was ignored")


# -- task 3: choose the executor by the kind of work -------------------------------

@pytest.mark.task(3)
def test_cpu_bound_work_gets_a_process_pool(gil, mp_context, probes):
    barrier = mp_context.Barrier(2, timeout=bounds.HANG)
    executor = choose(gil, built("cpu"), 2, mp_context, initializer=probes.install_barrier,
                      initargs=(barrier,))
    try:
        assert boundary.is_a(executor, ProcessPoolExecutor), (
            f"choose_executor('cpu', ...) returned {kind_of(probes, executor)}; expected a ProcessPoolExecutor: "
            f"threads chosen for CPU-bound work? {gil_probes.why_not_threads_for_computing()}")
        futures = [executor.submit(probes.meet, item) for item in (1, 2)]
        results = [future.result(timeout=2 * bounds.HANG + bounds.OVERLAP) for future in futures]
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    results = gil_probes.checked(results, gil_probes.MEETING, "two tasks on choose_executor('cpu', 2, ...)")
    pids = {pid for _, pid, _ in results}
    assert all(met for _, _, met in results) and len(pids) == 2 and boundary.process_id() not in pids, (
        f"two tasks on choose_executor('cpu', 2, ...) ran in processes {sorted(pids)} and "
        f"{'met' if all(r[2] for r in results) else 'did not meet'} at once; expected two child processes "
        "working at the same time: max_workers=workers, and pass initializer/initargs on")


@pytest.mark.task(3)
def test_io_bound_work_gets_a_thread_pool(gil, mp_context, probes):
    executor = choose(gil, built("io"), len(ITEMS), mp_context)
    try:
        assert boundary.is_a(executor, ThreadPoolExecutor), (
            f"choose_executor('io', ...) returned {kind_of(probes, executor)}; expected a ThreadPoolExecutor: "
            "processes chosen for IO-bound work cost a whole interpreter each and gain nothing — a thread "
            "that waits releases the GIL, so threads already wait side by side")
        meeting = Rendezvous(len(ITEMS))
        futures = [executor.submit(meeting.meet, f"task {item}") for item in ITEMS]
        for future in futures:
            future.result(timeout=2 * bounds.HANG + bounds.OVERLAP)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    assert meeting.tripped, (
        f"{len(ITEMS)} waiting tasks on choose_executor('io', {len(ITEMS)}, ...) did not wait at the same time "
        f"({len(meeting.met)} met): give the pool max_workers=workers")


@pytest.mark.task(3)
@pytest.mark.parametrize("kind", ["gpu", "CPU", "threads", ""])
def test_an_unknown_kind_of_work_is_refused(gil, mp_context, probes, kind):
    try:
        executor = gil.choose_executor(kind, 2, mp_context)
    except ValueError:
        return
    if hasattr(executor, "shutdown"):
        executor.shutdown(wait=True)
    pytest.fail(f"choose_executor({kind!r}, ...) returned {kind_of(probes, executor)}; expected ValueError for any "
                "kind but exactly 'cpu' and 'io' — compare with ==, not with <, > or a prefix", pytrace=False)


# -- task 4: does this Python have the GIL? -----------------------------------------

@pytest.mark.task(4)
def test_gil_enabled_asks_the_interpreter(gil, probes):
    for answer in (False, True):
        with probes.gil_question(answer):  # in the process your module runs in
            got = gil.gil_enabled()
        assert got is answer, (
            f"with sys._is_gil_enabled() answering {answer}, gil_enabled() returned {got!r}; expected "
            f"{answer}: ask sys._is_gil_enabled() (a free-threaded 3.13t build says False)")


@pytest.mark.task(4)
def test_gil_enabled_on_pythons_without_the_question(gil, probes):
    try:
        with probes.gil_question(None):  # sys._is_gil_enabled is taken away in the process your module runs in
            got = gil.gil_enabled()
    except AttributeError as exc:
        pytest.fail(f"gil_enabled() raised AttributeError ({exc}) on a Python without sys._is_gil_enabled: "
                    "it exists only from 3.13 on, and every older CPython has the GIL — "
                    "getattr(sys, '_is_gil_enabled', None) and answer True when it is missing", pytrace=False)
    assert got is True, (
        f"on a Python without sys._is_gil_enabled, gil_enabled() returned {got!r}; expected True: "
        "every CPython before 3.13 has the GIL")


@pytest.mark.task(4)
def test_gil_enabled_tells_the_truth_about_this_interpreter(gil, probes):
    # Asked in the process your module runs in: on a free-threaded build one process can have the GIL
    # turned back on (PYTHON_GIL=1, an extension module) while another has not.
    expected = boundary.strict_bool(probes.gil_enabled_here(), "whether your module's process has the GIL")
    got = gil.gil_enabled()
    assert got is expected, f"on Python {sys.version.split()[0]} gil_enabled() returned {got!r}; expected {expected}"
