"""Tests for exercises/threads — one group per task in README.md.

The tests never guess from timing. The work they hand your code records the
thread it runs in (threading.get_ident()) and the process (os.getpid()), and
the arguments it got; a gate (an Event only the test opens) holds work still
while the test looks at the thread that runs it.
"""
import multiprocessing.process
import threading

import pytest

from kata import bounds, boundary, caller, stall
from kata.probes_join import JoinGate, wait_until
from kata.seam import topic_fixture
from kata.support import threads as threads_support
from kata.workers import Worker, run_bounded

threads = topic_fixture("threads")


class Recorder:
    """Work for a thread: notes the arguments of each call and the thread that made it."""

    def __init__(self, result=None):
        self.result = result
        self.calls = []  # (args, ident, thread name)

    def __call__(self, *args):
        self.calls.append((args, caller.ident(), caller.thread_name()))
        return self.result


def joined(thread, what):
    """Join a thread the code under test started; fail with a message if that cannot be done."""
    if not boundary.is_a(thread, threading.Thread):
        pytest.fail(f"{what} returned {thread!r}; expected the threading.Thread it started", pytrace=False)
    if not stall.join(thread, bounds.HANG, f"waits for the thread from {what} to end"):
        pytest.fail(f"the thread from {what} was still running when the test stopped waiting for it"
                    f"{stall.waited(bounds.HANG)}", pytrace=False)
    return thread


def shown(args):
    return "work(" + ", ".join(repr(arg) for arg in args) + ")"


# -- task 1: a thread from a function ----------------------------------------------

@pytest.mark.task(1)
def test_work_runs_in_a_new_thread_not_in_the_caller(threads):
    work = Recorder()
    thread = threads.start_thread(work, "abc")
    joined(thread, "start_thread(work, 'abc')")
    assert work.calls, "start_thread(work, 'abc') started a thread, but work was never called: target=work"
    _, ident, _ = work.calls[0]
    assert ident != threading.get_ident(), (
        "work ran in the thread that called start_thread(), before any new thread existed: "
        "target=work(label) calls work right there and hands its result to Thread — pass the function "
        "itself: threading.Thread(target=work, args=(label,))")
    assert ident == thread.ident, (
        f"work ran in thread {ident}, which is not the thread start_thread() returned ({thread.ident})")
    assert len(work.calls) == 1, f"work was called {len(work.calls)} times; expected once"


@pytest.mark.task(1)
def test_the_label_reaches_work_as_one_argument(threads):
    work = Recorder()
    joined(threads.start_thread(work, "abc"), "start_thread(work, 'abc')")
    calls = [args for args, _, _ in work.calls]
    assert calls == [("abc",)], (
        f"start_thread(work, 'abc') called {', '.join(shown(args) for args in calls) or 'nothing'}; "
        "expected work('abc') once"
        + (": args=(label) is not a tuple — the parentheses only group, so Thread unpacks the string "
           "letter by letter; the comma makes the tuple: args=(label,)" if ("a", "b", "c") in calls else ""))


@pytest.mark.task(1)
def test_the_thread_is_named_after_the_label(threads):
    work = Recorder()
    thread = joined(threads.start_thread(work, "courier"), "start_thread(work, 'courier')")
    assert thread.name == "courier", (
        f"start_thread(work, 'courier') returned a thread named {thread.name!r}; expected 'courier': "
        "threading.Thread(..., name=label)")
    assert work.calls and work.calls[0][2] == "courier", (
        f"inside work, threading.current_thread().name was {work.calls[0][2] if work.calls else None!r}; "
        "expected 'courier'")


@pytest.mark.task(1)
def test_start_thread_returns_while_the_work_is_still_running(threads):
    gate, entered, progress = threading.Event(), threading.Event(), threading.Event()
    work_ident = []

    def work(*args):
        work_ident.append(caller.ident())
        entered.set()
        progress.set()
        gate.wait(bounds.HELD)  # held until the test opens the gate (bounded: outlasts the test's own wait)

    def call():
        try:
            return threads.start_thread(work, "held")
        finally:
            progress.set()

    starter = Worker(call, name="caller").start()
    try:
        progress.wait(bounds.HANG)  # start_thread() returned (or raised), or work began: whichever came first
        if starter.finished(0):
            starter.outcome()
        if not entered.wait(bounds.HANG):
            pytest.fail(f"start_thread(work, 'held') returned {starter.outcome()!r}, and work had not begun "
                        f"{bounds.HANG:g} s later: call start() on the thread", pytrace=False)
        if work_ident[0] == starter.thread.ident:
            pytest.fail("work ran in the thread that called start_thread(): target=work(label) calls work "
                        "right there — pass the function itself: target=work, args=(label,)", pytrace=False)
        if not starter.finished():
            pytest.fail(f"start_thread() had not returned {bounds.HANG:g} s after its thread began work that "
                        "was held at a gate: did you call join() before returning? Start the thread and "
                        "return it; the caller decides when to wait for it", pytrace=False)
        thread = starter.outcome()
        assert boundary.is_a(thread, threading.Thread) and thread.is_alive(), (
            f"start_thread() returned {thread!r} while its work was held at a gate; expected the thread, "
            "still running")
    finally:
        gate.set()
    joined(thread, "start_thread(work, 'held')")


# -- task 2: a thread from a Thread subclass ------------------------------------------

def make_job_thread(threads, work, label):
    """JobThread(work, label), checking that Thread's own __init__ ran."""
    thread = threads.JobThread(work, label)
    try:
        name = thread.name
    except (AssertionError, RuntimeError) as exc:
        pytest.fail(f"JobThread(work, {label!r}).name raised {type(exc).__name__}: {exc}. "
                    "A Thread subclass that defines __init__ must call super().__init__() first, so that "
                    "threading.Thread can set itself up: super().__init__(name=label)", pytrace=False)
    return thread, name


def start_and_join(thread, work, label):
    """Start a JobThread and join it, naming the usual mistakes when either goes wrong."""
    try:
        thread.start()
    except RuntimeError as exc:
        pytest.fail(f"JobThread.start() raised RuntimeError: {exc} — call super().__init__() at the top of "
                    "__init__", pytrace=False)
    if work.calls and work.calls[0][1] == threading.get_ident():
        pytest.fail("start() ran the work in the thread that called start(), not in a new one: override "
                    "run(), not start() — Thread.start() makes the new thread and calls run() inside it",
                    pytrace=False)
    try:
        joined(thread, f"JobThread(work, {label!r})")
    except RuntimeError as exc:
        pytest.fail(f"join() raised RuntimeError: {exc} — the real start() never ran: override run(), "
                    "not start()", pytrace=False)


@pytest.mark.task(2)
def test_a_job_thread_is_a_thread_named_after_its_label(threads):
    thread, name = make_job_thread(threads, Recorder(), "tally")
    assert boundary.is_a(thread, threading.Thread), "JobThread must subclass threading.Thread"
    assert name == "tally", (
        f"JobThread(work, 'tally').name is {name!r}; expected 'tally': super().__init__(name=label)")


@pytest.mark.task(2)
def test_start_runs_the_work_in_a_new_thread(threads):
    work = Recorder()
    thread, _ = make_job_thread(threads, work, "tally")
    start_and_join(thread, work, "tally")
    assert [args for args, _, _ in work.calls] == [("tally",)], (
        f"JobThread(work, 'tally') made the calls {[shown(args) for args, _, _ in work.calls]}; "
        "expected work('tally') once, from run()")
    assert work.calls[0][1] == thread.ident, "the work ran in some thread other than the JobThread itself"


@pytest.mark.task(2)
def test_the_result_is_kept_on_the_thread(threads):
    work = Recorder(result=42)
    thread, _ = make_job_thread(threads, work, "answer")
    assert thread.result is None, f"before start(), result is {thread.result!r}; expected None"
    start_and_join(thread, work, "answer")
    assert thread.result == 42, (
        f"after the thread finished, result is {thread.result!r}; expected 42, what work returned: "
        "self.result = self.work(self.label) inside run()")


# -- task 3: names and current_thread() -------------------------------------------

@pytest.mark.task(3)
def test_who_am_i_in_the_main_thread(threads):
    badge = threads.who_am_i()
    expected = (threading.main_thread().name, boundary.thread_ident(), True)
    assert tuple(badge) == expected, f"who_am_i() in the main thread returned {badge!r}; expected {expected}"


@pytest.mark.task(3)
def test_who_am_i_in_a_named_thread(threads):
    threads.who_am_i()  # on the test's own thread first: a missing function fails here, plainly
    asked = Worker(lambda: (threads.who_am_i(), boundary.thread_ident()), name="courier").start()
    assert asked.finished(), f"who_am_i() did not return within {bounds.HANG:g} s"
    badge, ident = asked.outcome()
    assert badge.name == "courier", (
        f"who_am_i() called in a thread named 'courier' said its name was {badge.name!r}"
        + (": threading.main_thread() names the main thread, whoever asks; threading.current_thread() is "
           "the thread that asks" if badge.name == threading.main_thread().name else "; expected 'courier'"))
    assert badge.ident == ident, (
        f"who_am_i() in thread 'courier' gave ident {badge.ident}; threading.get_ident() there was {ident}")
    assert badge.is_main is False, f"who_am_i() in thread 'courier' said is_main={badge.is_main!r}; expected False"


@pytest.mark.task(3)
def test_who_am_i_knows_the_main_thread_by_identity_not_by_name(threads):
    threads.who_am_i()  # on the test's own thread first: a missing function fails here, plainly
    impostor = threading.main_thread().name
    asked = Worker(threads.who_am_i, name=impostor).start()
    assert asked.finished(), f"who_am_i() did not return within {bounds.HANG:g} s"
    badge = asked.outcome()
    assert badge.is_main is False, (
        f"who_am_i() in a thread that is not the main thread, but is named {impostor!r}, said "
        f"is_main={badge.is_main!r}: a name is only a label that any thread may carry, so a thread cannot "
        "tell it is the main thread by its name — compare the threads themselves: "
        "me is threading.main_thread()")


# -- task 4: threads share memory; a child process has its own ---------------------

def visit_then_wait_to_be_joined(gate):
    """Work for change_in_thread(): notes its visit, then stays until the caller joins its thread."""
    def work(data):
        threads_support.note_visit(data)
        gate.hold()
    return work


@pytest.mark.task(4)
def test_change_in_thread_returns_only_after_its_thread_has_finished(threads):
    gate = JoinGate()
    data = {"visits": []}
    with gate.watching(workers=1):
        run_bounded(threads.change_in_thread, visit_then_wait_to_be_joined(gate), data,
                    timeout=2 * bounds.HANG, what="change_in_thread(work, data)")
    assert gate.all_left, f"the work given to change_in_thread() never began within {bounds.HANG:g} s"
    assert not gate.timed_joins, (
        "change_in_thread() returned while its thread was still running: join(timeout) gave up waiting, "
        "and the code carried on as if the work were done — a join() that times out does not mean the "
        "thread has finished: call join() without a timeout")
    assert not gate.outlived, (
        "change_in_thread() returned while its thread was still running: the work was held until its "
        "thread was joined, and it never was — call thread.join() after thread.start(), before returning")
    assert not gate.never_joined, (
        f"the work in change_in_thread()'s thread waited {bounds.HANG:g} s for the thread to be joined")

@pytest.mark.task(4)
def test_a_thread_changes_the_callers_own_data(threads):
    support = boundary.support(threads_support)  # the work and its dict live in your module's process
    data = support.Data(visits=[])
    threads.change_in_thread(support.note_visit, data)
    visits = data["visits"]
    assert visits, (
        "change_in_thread(work, data) returned and data['visits'] is still empty: the work's change did "
        "not reach the caller's dict — did the work run in a thread of this process, and was it joined?")
    pid, ident = visits[0]
    assert pid == boundary.process_id(), "the work ran in another process; a thread shares this process's memory"
    assert ident != threading.get_ident(), (
        "the work ran in the calling thread: target=work(data) calls it right there — pass target=work, "
        "args=(data,)")
    assert len(visits) == 1, f"the work ran {len(visits)} times; expected once"


@pytest.mark.task(4)
def test_change_in_process_returns_only_after_its_child_has_finished(threads, mp_context, tmp_path):
    support = boundary.support(threads_support)  # the work and its dict live in your module's process
    entered, release = mp_context.Event(), mp_context.Event()  # the child stays in its work until released
    data = support.Data(visits=[], report=str(boundary.writable_dir(tmp_path) / "visit.json"), entered=entered,
                        release=release)
    starter = Worker(threads.change_in_process, support.visit_and_wait, data, mp_context, name="caller").start()
    joins = (multiprocessing.process.BaseProcess.join, threading.Thread.join)
    try:
        # Until the caller has returned, or the work has begun and the caller waits in join() for it
        # (or the work ran right here, in this process: a later test names that).
        wait_until(lambda: starter.finished(0) or data["visits"]
                   or (entered.is_set() and boundary.is_inside(starter.thread, *joins)))
        # A caller that returned before the release, while the work it started runs (or is about to) in
        # a child, returned early: the child cannot finish its work until the test lets it go.
        returned_early = (starter.finished(0) and starter.error is None and not data["visits"]
                          and entered.wait(bounds.HANG))
    finally:
        release.set()  # before anything could kill the child: a set() on an Event whose waiter died can hang
    assert starter.finished(), f"change_in_process() did not return within {bounds.HANG:g} s of its child's release"
    exitcode = starter.outcome()
    assert not returned_early, (
        f"change_in_process() returned {exitcode!r} while its child was still running (the child's work was held "
        "until the test let it go): join() the child before returning — process.exitcode is None until then")


@pytest.mark.task(4)
def test_a_child_process_changes_only_its_own_copy(threads, mp_context, tmp_path):
    support = boundary.support(threads_support)  # the work and its dict live in your module's process
    report = boundary.writable_dir(tmp_path) / "visit.json"
    data = support.Data(visits=[], report=str(report))
    exitcode = threads.change_in_process(support.note_visit, data, mp_context)
    visits = data["visits"]
    if visits:
        pid, ident = visits[0]
        if ident == threading.get_ident():
            pytest.fail("the work ran in the parent, in the calling thread, and changed the parent's dict: "
                        "target=work(data) calls it right there — pass target=work, args=(data,)",
                        pytrace=False)
        pytest.fail("the work ran in another thread of this same process (the parent's dict changed): that "
                    "is a thread, not a child process — use mp_context.Process(target=work, args=(data,))",
                    pytrace=False)
    seen = threads_support.read_report(report)
    assert seen is not None, (
        "change_in_process() returned, but the work never ran: start a child process with "
        "mp_context.Process(target=work, args=(data,)) and join it")
    assert seen["pid"] != boundary.process_id(), "the work ran in this process, not in a child process"
    assert seen["visits"] == 1, (
        f"the child saw {seen['visits']} visits in its copy of data; expected 1 (its own)")
    assert exitcode == 0, (
        f"change_in_process() returned {exitcode!r}; expected the child's exit code, 0 — join() the "
        "child, then return process.exitcode")
