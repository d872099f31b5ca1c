"""Tests for exercises/processes — one group per task in README.md.

Every test runs real child processes under the start method chosen with
--start-method (the mp_context fixture). The children run small probes from
kata.support.processes that report what they saw through a Queue: their pid, their
parent, the arguments they got. Nothing waits on a clock: a child that must
stay alive is held by a gate (an Event), and the tests see join() being called
because the processes they hand to your code record it. The probes run where
your module runs (the ``probes`` fixture): in this process, or under --sandbox
in the sandbox's, so your children are always the children of your module's
process.
"""
import multiprocessing
import signal

import pytest

from kata import boundary
from kata.contexts import process_topic_fixture, spy_context_fixture
from kata.support import processes as probe
from kata.workers import run_bounded

processes = process_topic_fixture("processes")  # refuses queues and locks kept as module globals
mp_context = spy_context_fixture()  # checks what children are sent; records what was built

# Child processes under spawn are whole new interpreters: on a loaded machine a test
# that starts one needs more than the kata's default per-test limit.
pytestmark = pytest.mark.timeout(4 * probe.CHILD_BOUND)

PICKLE_HINT = (
    "start() could not send the target to the child: {error}. Under spawn and forkserver a child "
    "re-imports its target by name, so a lambda or closure as target (or any local function) works under "
    "fork only — pass a module-level function as target and its inputs as args")


def bounded(what, call, *args, timeout=probe.CHILD_BOUND, hang_hint="", **kwargs):
    """Call student code in a helper thread with a hang bound; explain pickling failures."""
    try:
        return run_bounded(call, *args, timeout=timeout, what=what, hint=hang_hint, **kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:
        if probe.pickling_error(exc):
            pytest.fail(PICKLE_HINT.format(error=f"{type(exc).__name__}: {exc}"), pytrace=False)
        if isinstance(exc, TypeError) and "not iterable" in str(exc):
            pytest.fail(f"{what} raised TypeError: {exc}: args must be a tuple — args=(item,) with the comma; "
                        "(item) is just item", pytrace=False)
        raise


@pytest.fixture
def probes():
    """kata.support.processes as your module's process has it: the targets its children run."""
    return boundary.support(probe)


def expect_process(value, what):
    assert boundary.is_a(value, multiprocessing.process.BaseProcess), (
        f"{what} returned {value!r}; expected the Process object it started")
    return value


def made_by(ctx, process) -> bool:
    """Whether ``ctx`` built ``process`` (the context records every Process it builds)."""
    built = ctx.built
    return type(built) is list and any(made is process for made in built)


# -- task 1: run a function in a child process -----------------------------------

def echo_in_child(processes, ctx, probes, item, **options):
    """start_child(ctx, probes.echo, item, reply=queue, **options); return what the child reported."""
    reply = ctx.Queue()
    process = None
    try:
        process = expect_process(
            bounded("start_child()", processes.start_child, ctx, probes.echo, item, reply=reply, **options),
            "start_child()")
        if not made_by(ctx, process):
            pytest.fail("start_child(ctx, ...) returned a Process that ctx did not make: build it with "
                        "ctx.Process(...), not multiprocessing.Process(...), so that it starts the way the caller "
                        "chose (fork, forkserver or spawn)", pytrace=False)
        heard = probe.receive(reply, process)
    finally:
        probes.cleanup(process)
    if heard is probe.NOTHING:
        pytest.fail(
            f"start_child(ctx, target, {item!r}, ...) started a child that ended with exit code "
            f"{process.exitcode!r} without calling target: pass target=target, args=(item,) and "
            "kwargs=options to ctx.Process", pytrace=False)
    if heard["pid"] == boundary.process_id():
        pytest.fail(
            "target ran in the test's own process (its pid is ours): did you call run() instead of start()? "
            "run() just calls the target right here; start() creates a new process that calls it",
            pytrace=False)
    return process, heard


@pytest.mark.task(1)
def test_the_child_calls_target_with_item_as_its_one_positional_argument(processes, mp_context, probes):
    _, heard = echo_in_child(processes, mp_context, probes, "abc")
    assert heard["args"] == ("abc",), (
        f"start_child(ctx, target, 'abc') made the child call target{heard['args']!r}; expected "
        "target('abc',): args must be a tuple — args=(item,) with the comma; (item) is just item, and a "
        "string is then split into its letters")


@pytest.mark.task(1)
def test_the_child_gets_the_options_as_keyword_arguments(processes, mp_context, probes):
    _, heard = echo_in_child(processes, mp_context, probes, 7, colour="teal", size=3)
    assert heard["kwargs"] == {"colour": "teal", "size": 3}, (
        f"start_child(ctx, target, 7, colour='teal', size=3) passed the keyword arguments "
        f"{heard['kwargs']!r}; expected {{'colour': 'teal', 'size': 3}}: pass kwargs=options to ctx.Process")


@pytest.mark.task(1)
def test_the_child_is_another_process_and_we_are_its_parent(processes, mp_context, probes, start_method):
    process, heard = echo_in_child(processes, mp_context, probes, "who")
    parent = boundary.process_id()  # the process your module runs in
    assert heard["pid"] != parent and process.pid == heard["pid"], (
        f"the child reported pid {heard['pid']}; the Process says {process.pid}, its parent is {parent}; "
        "expected a new pid, the same one the Process object reports")
    # Under forkserver the fork server makes the children; it is their parent as far as the OS can tell.
    expected_ppid = boundary.forkserver_pid() if start_method == "forkserver" else parent
    assert heard["ppid"] == expected_ppid, (
        f"the child's os.getppid() is {heard['ppid']}; expected {expected_ppid} under {start_method}")


# -- task 2: look at a process before, during and after ----------------------------

def check_snapshot(seen, expected, when):
    assert isinstance(seen, dict) and set(seen) == {"pid", "alive", "exitcode"}, (
        f"snapshot() {when} returned {seen!r}; expected a dict with the keys 'pid', 'alive' and 'exitcode'")
    if callable(seen["alive"]):
        pytest.fail(f"snapshot() {when} gave alive={seen['alive']!r}: call is_alive() — without the "
                    "parentheses you get the method itself, not its answer", pytrace=False)
    assert seen == expected, f"snapshot() {when} returned {seen!r}; expected {expected!r}"


@pytest.mark.task(2)
def test_a_process_not_yet_started_has_no_pid_and_no_exit_code(processes, mp_context, probes):
    process = mp_context.Process(target=probes.hold, args=(mp_context.Event(), mp_context.Event()))
    check_snapshot(processes.snapshot(process), {"pid": None, "alive": False, "exitcode": None},
                   "before start()")


@pytest.mark.task(2)
def test_a_running_process_has_a_pid_and_after_join_an_exit_code(processes, mp_context, probes):
    ctx = mp_context
    processes.snapshot(ctx.Process(target=probes.hold))  # the stub fails here, before any child exists
    started, gate, reply = ctx.Event(), ctx.Event(), ctx.Queue()
    process = ctx.Process(target=probes.hold, args=(started, gate, reply))
    process.start()
    try:
        pid = probe.receive(reply, process)
        assert started.wait(probe.CHILD_BOUND) is True, "the test's child never started (not your code's doing)"
        check_snapshot(processes.snapshot(process), {"pid": pid, "alive": True, "exitcode": None},
                       "while the child ran (held by the test)")
        gate.set()
        process.join(probe.CHILD_BOUND)
        check_snapshot(processes.snapshot(process), {"pid": pid, "alive": False, "exitcode": 0},
                       "after the child returned and join() came back")
    finally:
        probes.cleanup(process)


# -- task 3: read how a process ended ---------------------------------------------

@pytest.mark.task(3)
@pytest.mark.parametrize("outcome, expected", [("return", 0), ("raise", 1), (3, 3)],
                         ids=["returned", "raised", "sys.exit(3)"])
def test_exit_code_tells_how_the_process_ended(processes, mp_context, probes, outcome, expected):
    gate = mp_context.Event()  # the child ends only when join() is called: join() opens the gate
    process = probes.watched_process(mp_context, probes.finish, (gate, outcome), gate=gate)
    how = {"return": "returned normally", "raise": "raised an exception"}.get(outcome, f"called sys.exit({outcome})")
    try:
        code = bounded("exit_code()", processes.exit_code, process)
        joined = probe.joined(process)
    finally:
        probes.cleanup(process)
    if code is None:
        pytest.fail(f"exit_code() returned None for a child that {how}: exitcode is None while the process "
                    "still runs — join() before reading exitcode", pytrace=False)
    assert joined, "exit_code() never called join(): wait for the process to end with join()"
    assert code == expected, f"exit_code() for a child that {how} returned {code!r}; expected {expected}"


@pytest.mark.task(3)
def test_stop_terminates_a_running_process_and_reaps_it(processes, mp_context, probes):
    started, gate = mp_context.Event(), mp_context.Event()  # gate never opens: only a signal ends the child
    process = probes.watched_process(mp_context, probes.hold, (started, gate))
    process.start()
    try:
        assert started.wait(probe.CHILD_BOUND) is True, (
            "the test's child never signalled that it runs (not your code's doing)")
        code = bounded("stop()", processes.stop, process)
        joined = probe.joined(process)
    finally:
        probes.cleanup(process)
    assert joined, (f"stop() returned {code!r} without calling join(): you called terminate() without join() — "
                    "terminate() only sends SIGTERM; join() waits until the process is gone and reaps it")
    assert code == -signal.SIGTERM, (
        f"stop() returned {code!r}; expected {-signal.SIGTERM} (-SIGTERM: a negative exit code is the signal "
        "that ended the process)")


# -- task 4: send a result back to the parent --------------------------------------

@pytest.mark.task(4)
def test_the_result_is_computed_in_a_child_and_sent_back(processes, mp_context, probes):
    result = bounded("compute_in_child()", processes.compute_in_child, mp_context, probes.whoami, "pear")
    if result is None:
        pytest.fail("compute_in_child(ctx, func, 'pear') returned None: processes share no memory — what "
                    "the child stores in a variable stays in the child; send the result back through a Queue "
                    "(or a Pipe) and get() it in the parent", pytrace=False)
    assert isinstance(result, dict) and result.get("item") == "pear", (
        f"compute_in_child(ctx, func, 'pear') returned {result!r}; expected func('pear') as the child computed it")
    assert result["pid"] != boundary.process_id(), (
        "func ran in the test's own process: call func(item) inside the child's target, not in the parent")


@pytest.mark.task(4)
def test_a_large_result_comes_back_without_a_deadlock(processes, mp_context, probes):
    size = 1_000_000
    result = bounded(
        "compute_in_child()", processes.compute_in_child, mp_context, probes.blob, size,
        hang_hint=(f" with a {size // 1000} kB result: did you join() before getting the result? A child that has "
                   "put more than a pipe's buffer on a Queue cannot end until someone reads it, so join() waits "
                   "forever — get() the result first, then join()"))
    assert isinstance(result, bytes) and len(result) == size, (
        f"compute_in_child(ctx, blob, {size}) returned {type(result).__name__} of length "
        f"{len(result) if hasattr(result, '__len__') else '?'}; expected the {size} bytes func returned")


# -- task 5: a Process subclass with its own run() -----------------------------------

@pytest.fixture
def default_start_method(start_method, probes):
    # A subclass of multiprocessing.Process starts with the start method of the process that makes it.
    previous = probes.use_start_method(start_method)
    yield start_method
    probes.use_start_method(previous)


@pytest.mark.task(5)
def test_a_squarer_is_a_process_that_runs_nothing_until_started(processes, mp_context, probes,
                                                                default_start_method):
    squarer = processes.Squarer([5], mp_context.Queue())
    try:
        assert boundary.is_a(squarer, multiprocessing.Process), (
            f"Squarer([5], results) made {squarer!r}; expected a subclass of multiprocessing.Process")
        try:
            pid = squarer.pid
        except AttributeError as exc:
            pytest.fail(f"asking a new Squarer for its pid raised AttributeError: {exc}: call super().__init__() "
                        "first thing in Squarer.__init__, so the Process part of the object gets set up",
                        pytrace=False)
        assert pid is None, "Squarer([5], results) started a process already: nothing runs until start()"
    finally:
        probes.cleanup(squarer)


@pytest.mark.task(5)
def test_a_started_squarer_squares_in_its_own_process(processes, mp_context, probes, default_start_method):
    results = mp_context.Queue()
    squarer = processes.Squarer([2, 3, 4], results)
    try:
        try:
            squarer.start()
        except AttributeError as exc:
            pytest.fail(f"Squarer(...).start() raised AttributeError: {exc}: call super().__init__() first "
                        "thing in Squarer.__init__, so the Process part of the object gets set up", pytrace=False)
        got = []
        for _ in range(3):
            item = probe.receive(results, squarer)
            if item is probe.NOTHING:
                break
            got.append(item)
    finally:
        probes.cleanup(squarer)
    if not got:
        pytest.fail(f"the Squarer's child ended (exit code {squarer.exitcode!r}) without putting anything on "
                    "results: name the method run — start() creates the child and calls self.run() there",
                    pytrace=False)
    squares = [(n, square) for _, n, square in got]
    assert squares == [(2, 4), (3, 9), (4, 16)], f"a Squarer of [2, 3, 4] put {squares!r} (n, n*n); expected " \
                                                  "[(2, 4), (3, 9), (4, 16)]"
    pids = {pid for pid, _, _ in got}
    parent = boundary.process_id()
    assert pids == {squarer.pid} and parent not in pids, (
        f"the squares came from pids {sorted(pids)}; the Squarer's pid is {squarer.pid}, its parent's {parent}: "
        "run() must run in the child, so let start() call it")
