"""Tests for exercises/daemons — one group per task in README.md.

Children run probes from kata.support.daemons and report through queues. "A daemon
ends with the main program" is about the end of a whole program, so task 2
runs a small program in a subprocess (under the same start method), waits for
it with a hang bound, and then asks the operating system (psutil) which of its
children are still there. Nothing sleeps: the job child of that program waits
until the helper is really gone before it finishes. The probes, the clean-up and the
program run where your module runs (the ``probes`` fixture): in this process,
or under --sandbox in the sandbox's, so your children are always the children
of your module's process.
"""
import pytest

from kata import boundary, bounds
from kata.contexts import process_topic_fixture, spy_context_fixture
from kata.support import daemons as probe
from kata.support.processes import CHILD_BOUND, NOTHING, pickling_error, receive
from kata.workers import run_bounded

daemons = process_topic_fixture("daemons")  # refuses queues and locks kept as module globals
mp_context = spy_context_fixture()  # checks what children are sent; records what was built

# Child processes under spawn are whole new interpreters: on a loaded machine a test
# that starts a few of them needs more than the kata's default per-test limit.
pytestmark = pytest.mark.timeout(4 * CHILD_BOUND)


def call_bounded(what, call, *args, timeout=CHILD_BOUND, hang_hint=""):
    try:
        return run_bounded(call, *args, timeout=timeout, what=what, hint=hang_hint)
    except NotImplementedError:
        raise
    except AssertionError as exc:
        if "already started" in str(exc):
            pytest.fail(f"{what} raised AssertionError: {exc}: set daemon=True before start() — "
                        "ctx.Process(..., daemon=True), or process.daemon = True on the line before start(); "
                        "a started process cannot change what it is", pytrace=False)
        raise
    except Exception as exc:
        if pickling_error(exc):
            pytest.fail(f"start() could not send the target to the child ({type(exc).__name__}: {exc}): pass a "
                        "module-level function as target, never a lambda or closure", pytrace=False)
        raise


@pytest.fixture
def probes():
    """kata.support.daemons as your module's process has it: the targets its children run, the clean-up."""
    return boundary.support(probe)


def made_by(ctx, process) -> bool:
    """Whether ``ctx`` built ``process`` (the context records every Process it builds)."""
    built = ctx.built
    return type(built) is list and any(made is process for made in built)


def reported(process, reply, who):
    heard = receive(reply, process)
    if heard is NOTHING:
        pytest.fail(f"the {who} ended (exit code {process.exitcode!r}) without calling its target: pass "
                    "target=target and args=args to ctx.Process", pytrace=False)
    return probe.checked_report(heard, who)


# -- task 1: start a helper as a daemon ---------------------------------------------

@pytest.mark.task(1)
def test_start_daemon_runs_target_with_its_args_in_a_child(daemons, mp_context, probes):
    reply, release = mp_context.Queue(), mp_context.Event()
    process = None
    try:
        process = call_bounded("start_daemon()", daemons.start_daemon, mp_context, probes.report, reply, release,
                               "lamp", 2)
        if not made_by(mp_context, process):
            pytest.fail("start_daemon(ctx, ...) returned a Process that ctx did not make: build it with "
                        "ctx.Process(...), not multiprocessing.Process(...), so that it starts the way the caller "
                        "chose (fork, forkserver or spawn)", pytrace=False)
        heard = reported(process, reply, "daemon")
        release.set()
    finally:
        probes.cleanup(process)
    parent = boundary.process_id()  # the process your module runs in
    assert heard["pid"] != parent and heard["pid"] == process.pid, (
        f"the target ran in pid {heard['pid']}; the test is {parent}, the Process says {process.pid}: "
        "start() the process (run() would call the target here)")
    assert heard["args"] == ("lamp", 2), (
        f"start_daemon(ctx, target, reply, release, 'lamp', 2) called target with extra args {heard['args']!r}; "
        "expected ('lamp', 2): pass all of args on, args=args")


@pytest.mark.task(1)
def test_start_daemon_returns_a_running_daemon_that_knows_it(daemons, mp_context, probes):
    reply, release = mp_context.Queue(), mp_context.Event()
    process = None
    try:
        process = call_bounded("start_daemon()", daemons.start_daemon, mp_context, probes.report, reply, release)
        heard = reported(process, reply, "daemon")
        alive = process.is_alive()
        release.set()
    finally:
        probes.cleanup(process)
    assert heard["daemon"] is True, (
        "the child says it is not a daemon (multiprocessing.current_process().daemon is False in the child): "
        "set daemon=True before start() — the child learns what it is when it starts")
    assert process.daemon is True and alive is True, (
        f"start_daemon() returned a Process with daemon={process.daemon!r}, alive={alive!r}; expected a started "
        "daemon: daemon=True, then start()")


# -- task 2: daemons end with the program; other children are waited for -------------

@pytest.mark.task(2)
def test_helper_is_a_daemon_and_job_an_ordinary_child(daemons, mp_context, probes):
    ctx = mp_context
    replies, releases = (ctx.Queue(), ctx.Queue()), (ctx.Event(), ctx.Event())
    pair = (None, None)
    try:
        pair = call_bounded("start_helper_and_job()", daemons.start_helper_and_job, ctx,
                            probes.report, (replies[0], releases[0]), probes.report,
                            (replies[1], releases[1], "job"),
                            hang_hint=(": both children were held by the test, so a join() waits for ever — "
                                       "start_helper_and_job() must start both and return without waiting for "
                                       "them"))
        assert isinstance(pair, tuple) and len(pair) == 2, (
            f"start_helper_and_job() returned {pair!r}; expected (helper_process, job_process)")
        helper, job = pair
        heard_helper = reported(helper, replies[0], "helper")
        heard_job = reported(job, replies[1], "job")
        for release in releases:
            release.set()
    finally:
        probes.cleanup(*(p for p in pair if p is not None))
    assert heard_helper["daemon"] is True, (
        "the helper's child says it is not a daemon: start the helper with daemon=True (before start())")
    assert heard_job["daemon"] is False, (
        "the job's child says it is a daemon: only the helper should be a daemon — a daemon is stopped "
        "when the main program ends, and the job must be allowed to finish")
    assert heard_job["args"] == ("job",) and heard_helper["pid"] != heard_job["pid"], (
        f"helper and job reported {heard_helper!r} and {heard_job!r}; expected two children, the job "
        "called with its own job_args")


# A whole small program: an interpreter, its imports, two children. A correct one ends
# as soon as its job is done; the test stops waiting early when the program's own
# report shows it cannot end (its helper is not a daemon).
PROGRAM_BOUND = 9 * bounds.HANG


@pytest.mark.task(2)
@pytest.mark.timeout(PROGRAM_BOUND + 60)
def test_when_the_program_ends_the_helper_is_stopped_and_the_job_waited_for(daemons, probes, start_method,
                                                                            tmp_path):
    # An unfinished stub fails here, in a moment, before any program runs.
    probes.try_without_processes(daemons.start_helper_and_job)
    ending = probe.checked_ending(probes.run_program(str(boundary.writable_dir(tmp_path)), start_method,
                                                     PROGRAM_BOUND))
    report, marker, helper_left = ending["report"], ending["marker"], ending["helper_left"]
    if report is None:
        pytest.fail("the program's main code never finished (no report): start_helper_and_job() must start "
                    f"both children and return without waiting for them. The program said:\n{ending['output']}",
                    pytrace=False)
    if not ending["ended"]:
        why = ("its helper is not a daemon" if report["helper_daemon"] is False
               else "every process of it waits for ever" if ending["stalled"]
               else f"it did not end within {PROGRAM_BOUND:g} s")
        pytest.fail(
            f"the program's main code finished, but the program could not end ({why}): a non-daemon child "
            "keeps the program waiting — the helper never stops on its own, so start it with daemon=True",
            pytrace=False)
    assert report["helper_alive"] and report["job_alive"], (
        f"when the main code ended, helper alive={report['helper_alive']}, job alive={report['job_alive']}; "
        "expected both still running: do not join them in start_helper_and_job()")
    assert not helper_left, (
        f"the program has ended, yet the helper (pid {report['helper']}) still runs: start it with daemon=True")
    assert marker is not None, (
        "the job never finished: it was killed when the main program ended, like a daemon — only the helper "
        "should be a daemon; an ordinary child is waited for")
    assert marker.endswith("gone"), (
        f"the job says: {marker!r}; expected it to finish after the helper was gone")


# -- task 3: a daemon cannot have children -------------------------------------------

@pytest.mark.task(3)
def test_a_daemon_is_refused_when_it_tries_to_start_a_child(daemons, mp_context):
    answer = call_bounded(
        "ask_daemon_for_child()", daemons.ask_daemon_for_child, mp_context,
        hang_hint=(": the daemon never replied. Inside the daemon, catch the AssertionError that start() raises "
                   "and put ('refused', str(error)) on the queue — an uncaught exception ends the child with exit "
                   "code 1 and nothing sent. And hand the queue to the daemon as an argument: a queue created at "
                   "module level is a different queue in each spawned child, so the reply never reaches you"))
    assert isinstance(answer, tuple) and len(answer) == 2, (
        f"ask_daemon_for_child() returned {answer!r}; expected ('refused', message) or ('started', pid)")
    if answer[0] == "started":
        pytest.fail(f"the child was allowed to start a process of its own (pid {answer[1]}): it was not a daemon — "
                    "start it with daemon=True; only daemons are refused children", pytrace=False)
    assert answer[0] == "refused" and "daemonic processes are not allowed to have children" in answer[1], (
        f"ask_daemon_for_child() returned {answer!r}; expected ('refused', 'daemonic processes are not allowed "
        "to have children'): put str(error) of the AssertionError on the queue")


@pytest.mark.task(3)
def test_an_ordinary_process_may_start_children(daemons, mp_context):
    reply = mp_context.Queue()
    call_bounded("try_to_have_children()", daemons.try_to_have_children, mp_context, reply)
    answer = reply.get(timeout=CHILD_BOUND)
    assert answer[0] == "started" and isinstance(answer[1], int) and answer[1] != boundary.process_id(), (
        f"try_to_have_children() called in the test's own (non-daemon) process put {answer!r}; expected "
        "('started', the child's pid): start the child, join it, then report")
