"""Tests for exercises/process_locks — one group per task in README.md.

The tests never hope that two processes happen to collide. A ProcessWindow is
passed as the between() hook: the first child to reach it stays there until a
second child either reaches it too (the writers overlap: the bug) or is seen
waiting for the lock (the fix). The lock comes from a factory the test hands
in, so the test knows for certain who waited for it, in any process, under
fork, forkserver and spawn alike. The window and the other probes live where
your module runs (the ``probes`` fixture): in this process, or under --sandbox
in the sandbox's, and the tests read what they saw as plain data.
"""
import pytest

from kata import boundary, bounds
from kata.contexts import process_topic_fixture, spy_context_fixture
from kata.expect import raises
from kata.seam import dotted_name
from kata.support import process_locks as probe
from kata.support.process_locks import HELD_GIVEN, HELD_MODULE_LEVEL, HELD_NOTHING, HELD_OWN
from kata.workers import run_bounded

process_locks = process_topic_fixture("process_locks")  # refuses queues and locks kept as module globals
mp_context = spy_context_fixture()  # checks what children are sent; records what was built

# The tests call your code from a helper thread (so that a hang becomes a failed test); Python 3.12+
# warns about any fork() in a process with threads. The helper holds no lock a child could need.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")



@pytest.fixture
def probes():
    """kata.support.process_locks as your module's process has it: the window, the locks it spies on."""
    return boundary.support(probe)


@pytest.fixture
def folder(tmp_path):
    """Where report() may write its file."""
    return boundary.writable_dir(tmp_path)


NAMES = ("ana", "ben")
CROWD = ("ana", "ben", "chen")
README = "exercises/process_locks/README.md"


def lines_of(path):
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def drawn(lines):
    return "\n".join(f"    {line}" for line in lines) or "    (the file is empty)"


def torn_writers(lines):
    """Names whose 'finished' line does not directly follow their 'started' line."""
    torn = []
    for index, line in enumerate(lines):
        name, _, what = line.partition(": ")
        if what == "started" and (index + 1 >= len(lines) or lines[index + 1] != f"{name}: finished"):
            torn.append(name)
    return torn


def is_held(probes, lock):
    """Whether somebody holds a (non-recursive) lock, found out without keeping it."""
    return boundary.strict_bool(probes.is_held(lock), "whether the lock is held")


def new_window(probes, mp_context):
    return probes.ProcessWindow(mp_context, dotted_name("process_locks"), bounds.HANG)


def seen_by(window):
    """What the window saw, read once as plain data."""
    return probe.Seen(window.record(), bounds.HANG)


def overlap_message(window, what, lines=None):
    """Name the mistake from what the first child held while it was inside."""
    picture = f"\nthe file, in the order the lines were written:\n{drawn(lines)}" if lines is not None else ""
    held = window.first_held
    if held == HELD_MODULE_LEVEL:
        return (f"{what}, although the first child held a lock — a module-level lock. Under spawn and forkserver "
                "every child imports the module afresh and makes a lock of its own, so they exclude nobody "
                "(only fork copies one lock into every child) — make one lock in the parent and pass it to "
                f"each child as a Process argument{picture}")
    if held == HELD_OWN:
        return (f"{what}, although the first child held a lock it had made itself: a lock created in each child "
                "belongs to that child alone and excludes nobody — use the lock passed in as an argument"
                f"{picture}")
    if held == HELD_NOTHING:
        return (f"{what}, and the first child held no lock while it was inside: did you forget the lock? "
                f"Hold the lock passed in across both writes{picture}")
    return f"{what}: every child must take the one lock it was given around its whole work{picture}"


def serial_message(window, what):
    if window.first_held == HELD_MODULE_LEVEL:
        return (f"{what}: the first child held a module-level lock, not the lock it was given. That happens "
                "to work under fork, which copies the lock into every child, but under spawn and forkserver "
                "each child imports the module again and gets a lock of its own — use the lock passed in")
    return (f"{what}: while the first child was inside, no other child arrived within {window.hold:g} s: "
            "did you call join() inside the start loop? Start every process first, then join them all")


# -- task 1: keep a worker's lines together -------------------------------------

@pytest.mark.task(1)
def test_report_appends_a_started_and_a_finished_line(process_locks, folder, mp_context):
    path = folder / "log.txt"
    path.write_text("earlier: finished\n", encoding="utf-8")
    process_locks.report(str(path), "ana", mp_context.Lock())
    lines = lines_of(path)
    assert lines[:1] == ["earlier: finished"], (
        f"report() on a file that already held a line left:\n{drawn(lines)}\nexpected the old line kept: "
        "open the file in append mode, open(path, 'a'), so that one writer does not wipe out another")
    assert lines == ["earlier: finished", "ana: started", "ana: finished"], (
        f"called report(path, 'ana', lock); the file holds:\n{drawn(lines)}\n"
        "expected the old line, then 'ana: started' and 'ana: finished'")


@pytest.mark.task(1)
def test_report_flushes_the_first_line_before_calling_between(process_locks, folder, mp_context):
    path = folder / "log.txt"
    seen = []
    process_locks.report(str(path), "ana", mp_context.Lock(), between=lambda: seen.append(lines_of(path)))
    assert seen, "report() never called between(): call it after the first line and before the second"
    assert seen[0] == ["ana: started"], (
        f"when between() ran the file held:\n{drawn(seen[0])}\nexpected just 'ana: started': write the first "
        "line and flush() it, then call between(), then write the second")


@pytest.mark.task(1)
def test_report_holds_the_lock_across_both_lines(process_locks, folder, mp_context, probes):
    path = folder / "log.txt"
    lock = mp_context.Lock()
    # It hands report() the lock through a wrapper that counts acquisitions, notes in between() whether the
    # lock is held, and notes every multiprocessing lock made during the call.
    watch = probes.HoldProbe(lock)
    with watch:
        process_locks.report(str(path), "ana", watch.given, between=watch.between)
    seen = probe.checked(watch.record(), probe.HOLD_RECORD, "the test's lock probe")
    held, acquired, made = seen["held"], seen["acquired"], seen["made"]
    assert held, "report() never called between(): call it after the first line and before the second"
    if held == [False] and not acquired:
        pytest.fail("report() took a lock it made itself, never the one it was given: a lock created in each "
                    "child belongs to that child alone and excludes nobody — use the lock passed in" if made else
                    "report() never took the lock it was given: did you forget the lock? Put both writes and "
                    "the call to between() inside `with lock:`", pytrace=False)
    assert held == [True], (
        "between() ran while the lock was free: hold the lock from before the first line until after the "
        "second — put both writes and the call to between() inside one `with lock:` block")
    assert not is_held(probes, lock), (
        "report() returned and kept the lock: release it when done (use `with lock:`)")


@pytest.mark.task(1)
def test_report_releases_the_lock_when_between_raises(process_locks, folder, mp_context, probes):
    lock = mp_context.Lock()

    def fail():
        raise ValueError("raised by between()")

    with raises(ValueError, "report(..., between=f), where f raises ValueError",
                "the error belongs to the caller: release the lock and let it go on, never swallow it") as caught:
        process_locks.report(str(folder / "log.txt"), "ana", lock, between=fail)
    assert "raised by between" in str(caught.value), (
        f"report() raised ValueError({caught.value}); expected the one between() raised to go on unchanged")
    assert not is_held(probes, lock), (
        "report() let the exception from between() out and left the lock held: every other "
        "writer would wait forever — use `with lock:`")


# -- task 2: one lock, passed to every process ------------------------------------

def run_reports(process_locks, *args, **kwargs):
    return run_bounded(process_locks.run_reports, *args, timeout=2 * bounds.HANG + bounds.OVERLAP,
                       what="run_reports()", **kwargs)


@pytest.mark.task(2)
def test_every_process_writes_its_two_lines_together(process_locks, folder, mp_context):
    path = folder / "log.txt"
    codes = run_reports(process_locks, str(path), CROWD, mp_context)
    assert codes == [0] * len(CROWD), (
        f"run_reports() returned exit codes {codes!r}; expected {[0] * len(CROWD)!r}, one 0 per name: "
        "join every process, then return [p.exitcode for p in processes]")
    lines = lines_of(path)
    expected = sorted(f"{name}: {what}" for name in CROWD for what in ("started", "finished"))
    assert sorted(lines) == expected, (
        f"run_reports(path, {CROWD}, ctx) left the file:\n{drawn(lines)}\nexpected one 'started' and one "
        "'finished' line per name: one process per name, each running report()")
    assert not torn_writers(lines), (
        f"the lines of different processes interleaved:\n{drawn(lines)}\n"
        "hold the shared lock across both of a worker's writes")


@pytest.mark.task(2)
def test_a_second_process_waits_while_the_first_is_between_its_lines(process_locks, folder, mp_context, probes):
    path = folder / "log.txt"
    window = new_window(probes, mp_context)
    codes = run_reports(process_locks, str(path), NAMES, mp_context, between=window,
                        lock_factory=window.lock_factory)
    lines = lines_of(path)
    window = seen_by(window)
    assert window.locks == 1, (
        f"run_reports() called lock_factory() {window.locks} times; expected once: one lock shared by "
        "every process, made in the parent and passed to each child (a lock per process excludes nobody)")
    assert window.entries == len(NAMES), (
        f"between() ran {window.entries} times for {len(NAMES)} processes; expected once in each: pass "
        f"between to report() in every child (exit codes: {codes!r})")
    if window.overlapped:
        pytest.fail(overlap_message(window, "a second process wrote while the first was between its two lines",
                                    lines), pytrace=False)
    if window.waited_out:
        pytest.fail(serial_message(window, "the processes did not run at the same time"), pytrace=False)
    assert window.first_held == HELD_GIVEN and window.child_holds == len(NAMES), (
        f"the children took the lock they were given {window.child_holds} times; expected once each "
        f"({len(NAMES)}): report() must use the lock passed to it")
    assert not torn_writers(lines), f"the lines of different processes interleaved:\n{drawn(lines)}"


@pytest.mark.task(2)
def test_the_lock_reaches_each_child_as_an_argument(process_locks, folder, mp_context, probes):
    window = new_window(probes, mp_context)
    run_reports(process_locks, str(folder / "log.txt"), CROWD, mp_context, lock_factory=window.lock_factory)
    window = seen_by(window)
    assert window.locks == 1, (
        f"run_reports() called lock_factory() {window.locks} times for {len(CROWD)} processes; "
        "expected once: one lock shared by every process")
    assert window.child_holds == len(CROWD), (
        f"the lock from lock_factory() was taken {window.child_holds} times in the children; expected once "
        f"per process ({len(CROWD)}): pass it to each child, Process(target=report, args=(path, name, lock, "
        "between)), and let report() hold it (not a module-level lock, not a lock made in the child)")


# -- task 3: a counter in shared memory ----------------------------------------------

NAKED_HINT = (
    "counter.value was read or written outside counter.get_lock() in a child: a synchronized Value locks "
    "each single read and each single write and nothing more, so `counter.value += 1` (a read, then a write) "
    "lets another process in between the two — hold `with counter.get_lock():` across the read, between() "
    "and the write")


@pytest.mark.task(3)
def test_add_visits_counts_every_visit(process_locks, mp_context):
    counter = mp_context.Value("i", 0)
    process_locks.add_visits(counter, 5)
    assert counter.value == 5, f"add_visits(counter, 5) on a counter at 0 left {counter.value!r}; expected 5"


@pytest.mark.task(3)
def test_add_visits_holds_the_counters_lock_between_read_and_write(process_locks, mp_context, probes):
    lock = mp_context.RLock()
    counter = mp_context.Value("i", 0, lock=lock)
    # between() notes whether the calling thread holds the counter's lock, then adds 100 to the counter
    # behind the lock's back: another writer, sneaking in where the lock should keep it out.
    between = probes.SneakingWriter(lock, counter)
    process_locks.add_visits(counter, 1, between=between)
    seen = probe.checked(between.record(), probe.SNEAK_RECORD, "the test's between() hook")
    held, value = seen["held"], seen["value"]
    assert held, "add_visits() never called between(): call it after reading counter.value and before writing"
    assert held == [True], (
        "between() ran while counter.get_lock() was free, so counter.value was read outside counter.get_lock(): "
        + NAKED_HINT.split(": ", 1)[1])
    assert value == 1, (
        f"add_visits(counter, 1) wrote {value!r}; expected 1 (the value read before between(), "
        "plus one): read once, call between(), then write what you read plus one")


def count(process_locks, counter, workers, times, mp_context, between=None):
    return run_bounded(process_locks.count_in_processes, counter, workers, times, mp_context, between=between,
                       timeout=2 * bounds.HANG + bounds.OVERLAP, what="count_in_processes()")


@pytest.mark.task(3)
def test_a_second_process_waits_while_the_first_is_between_read_and_write(process_locks, mp_context, probes):
    window = new_window(probes, mp_context)
    counter = mp_context.Value("i", 0, lock=window.recursive_lock())
    result = count(process_locks, counter, len(NAMES), 1, mp_context, between=window)
    window = seen_by(window)
    if window.naked_accesses:
        pytest.fail(NAKED_HINT, pytrace=False)
    assert window.entries == len(NAMES), (
        f"between() ran {window.entries} times for {len(NAMES)} processes adding one visit each; expected "
        f"{len(NAMES)}: pass between to add_visits() in every child")
    if window.overlapped:
        what = "a second process read counter.value while the first was between its read and its write"
        if window.first_held == HELD_OWN:
            pytest.fail(f"{what}, although the first child held a lock — not the lock of the Value it was given: "
                        "did each child get a Value of its own? Then pass the Value itself to each child, "
                        "args=(counter, times, between), and take its counter.get_lock()", pytrace=False)
        pytest.fail(overlap_message(window, what), pytrace=False)
    if window.waited_out:
        pytest.fail(serial_message(window, "the processes did not run at the same time"), pytrace=False)
    assert result == len(NAMES), (
        f"{len(NAMES)} processes each added one visit; count_in_processes() returned {result!r}; "
        f"expected {len(NAMES)}")


@pytest.mark.task(3)
def test_many_processes_count_exactly(process_locks, mp_context, probes):
    window = new_window(probes, mp_context)
    counter = mp_context.Value("i", 0, lock=window.recursive_lock())
    workers, times = 3, 40
    result = count(process_locks, counter, workers, times, mp_context)
    window = seen_by(window)
    if window.naked_accesses:
        pytest.fail(NAKED_HINT, pytrace=False)
    expected = workers * times
    assert result == expected, (
        f"{workers} processes each called add_visits(counter, {times}); count_in_processes() returned "
        f"{result!r}; expected {expected}: pass the one Value to every child and return counter.value "
        "after joining them all")
    assert window.child_holds == expected, (
        f"the children took counter.get_lock() {window.child_holds} times; expected once per visit "
        f"({expected})")


@pytest.mark.task(3)
def test_the_counter_lives_in_shared_memory_not_in_a_copy(process_locks, mp_context):
    counter = mp_context.Value("i", 7)
    result = count(process_locks, counter, 2, 3, mp_context)
    assert counter.value == 13 and result == 13, (
        f"two processes added 3 visits each to a Value at 7; the Value now holds {counter.value!r} and "
        f"count_in_processes() returned {result!r}; expected 13 and 13: pass the Value itself to each "
        "child (a plain int would be copied, and the parent would never see the children's visits)")

