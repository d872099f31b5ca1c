"""The stall detector names real stalls at once and never fires on code that is only slow.

Each scenario (tests/stall_scenarios.py) runs in a fresh process: the self-check
session's own threads (a pool of topic runs, servers) would otherwise keep the
detector from its proof, and threads stuck for good die with their process.
"""
import json
import subprocess
import sys

import pytest

from kata import stall, stall_spin, trees
from tests.stall_scenarios import BOUND, SLOW

pytestmark = pytest.mark.skipif(not stall.available(), reason="no /proc proof on this machine: the bounds decide")


def scenario(name: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.stall_scenarios", name], cwd=trees.ROOT,
                          capture_output=True, text=True, timeout=4 * BOUND)
    assert done.returncode == 0 and done.stdout.strip(), (
        f"scenario {name} exited with {done.returncode}; expected one JSON line\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- real stalls: named at once, with the likely mistake ---------------------------------------

def test_a_lock_order_deadlock_ends_the_wait_for_both_threads_early():
    seen = scenario("two_threads_opposite_lock_order")
    assert seen["stalled"] == [True, True], (
        f"two threads each hold one lock and wait for the other's; the waits for them ended {seen}: "
        f"expected both ended by the detector, not by their {BOUND:g} s bound")
    assert "one agreed order" in seen["picture"] and "'alex' waits, with no timeout, for a lock" in seen["picture"], (
        f"the picture of a lock-order deadlock does not show who waits for a lock and why:\n{seen['picture']}")


def test_join_inside_the_start_loop_breaks_the_rendezvous_at_once():
    seen = scenario("join_inside_the_start_loop")
    assert seen["skipped"] and "rendezvous" in seen["skipped"][0], (
        f"the first worker waited at a rendezvous the others could never reach; the detector ended "
        f"{seen['skipped']}; expected the rendezvous first (its bound runs out first)")
    assert seen["finished"] == [True] and seen["missed"] == ["egon", "alex", "yuanhao"], (
        f"with the rendezvous broken the serial starter should finish, each worker missing it; saw {seen}")
    assert "did you call join() inside the start loop?" in seen["picture"], (
        f"the picture does not name the mistake:\n{seen['picture']}")


def test_a_lock_that_nobody_will_release_fails_the_main_thread_at_once():
    seen = scenario("lock_never_released")
    assert "raised" in seen and "returned" not in seen, (
        f"the main thread waited, with no timeout, for a lock whose taker had ended; saw {seen}: "
        "expected kata.stall.Stall raised in the main thread")
    assert "lock_never_released: lock.acquire()" in seen["raised"], (
        f"the Stall does not say where the main thread waits:\n{seen['raised']}")


def test_a_thread_taking_its_own_lock_again_is_a_stall():
    seen = scenario("lock_taken_twice")
    assert seen["stalled"] == [True], f"a thread re-acquiring its own Lock was not seen as a stall: {seen}"
    assert "twice: with lock:" in seen["picture"] and "use an RLock" in seen["picture"], (
        f"the picture does not show the second acquire and name the fix:\n{seen['picture']}")


def test_a_timeout_further_off_than_the_kata_bound_is_skipped_over():
    seen = scenario("timed_wait_longer_than_the_bound")
    assert seen["stalled"] == [True] and seen["finished"] == [False], (
        f"a thread waits with a {10 * BOUND:g} s timeout while the test waits {BOUND:g} s for it; saw {seen}: "
        "expected the test's wait ended early (its bound comes first, nothing else can happen before it)")
    assert "with a timeout (" in seen["picture"], f"the picture does not say the wait is timed:\n{seen['picture']}"


# -- stalls across processes: the children are part of the proof --------------------------------

METHODS = ["fork", "forkserver", "spawn"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, waits", [
    ("join_before_draining_the_queue", "joins the child process"),  # its feeder waits for room in the pipe
    ("get_from_a_child_that_sent_nothing", "in a process queue's get()"),  # the child has ended
    ("child_waits_for_a_lock_the_parent_holds", "joins the child process"),
])
def test_a_stall_across_processes_ends_the_wait_at_once(name, waits, method):
    seen = scenario(f"{name}:{method}")
    assert seen["stalled"] == [True] and seen["finished"] == [False], (
        f"scenario {name} under {method}: every thread of the test and of its children waits for another "
        f"member of the tree; saw {seen}: expected the test's wait ended by the detector, not by its {BOUND:g} s bound")
    assert waits in seen["picture"], (
        f"scenario {name} under {method}: the picture does not say the thread {waits}:\n{seen['picture']}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, stalled", [
    ("join_process_of_a_child_stuck_on_a_lock", True),  # it waits for a lock the parent holds
    ("join_process_of_a_sleeping_child", False),        # it only sleeps a while
])
def test_a_kata_join_of_a_process_ends_early_only_on_a_stall(name, stalled, method):
    seen = scenario(f"{name}:{method}")
    assert seen["finished"] == [not stalled] and seen["stalled"] == [stalled], (
        f"scenario {name} under {method}: stall.join_process() was judged {seen}; expected "
        + ("the join ended by the detector, not by its bound" if stalled else "it to return once the child ended"))
    assert seen["ended_after"] == [True, 0], (
        f"scenario {name} under {method}: once the child could end, stall.join_process() gave {seen['ended_after']}; "
        "expected True and exit code 0")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", [
    "a_child_doing_work",     # the parent waits on a queue while the child computes
    "a_child_sleeping",       # the parent joins a child in time.sleep (no futex)
])
def test_a_child_that_is_only_slow_is_never_a_stall(name, method):
    seen = scenario(f"{name}:{method}")
    assert seen["finished"] == [True] and seen["stalled"] == [False] and seen["picture"] is None, (
        f"scenario {name} under {method}: a child that only takes a while ({SLOW:g} s) was judged {seen}; "
        "expected it to finish with no stall seen")


@pytest.mark.parametrize("name", [
    "the_first_child_under_forkserver:forkserver",  # a pipe end in flight to a server that is starting
    "a_pipe_fed_from_outside_the_tree:fork",        # the writer left the tree (a double fork)
])
def test_a_pipe_someone_outside_the_proof_may_touch_is_never_a_stall(name):
    seen = scenario(name)
    assert seen["finished"] == [True] and seen["stalled"] == [False] and seen["picture"] is None, (
        f"scenario {name}: a thread reads a pipe that a process the proof cannot see will write to; it was "
        f"judged {seen}; expected it to finish with no stall seen")


def test_a_poll_for_a_thread_that_can_never_move_ends_early():
    seen = scenario("poll_for_a_thread_that_never_moves")
    assert seen["finished"] == [False] and seen["stalled"] == [True], (
        f"stall.poll_until() for a thread waiting on a lock nobody will release gave {seen}: expected the poll "
        f"ended by the detector, not by its {BOUND:g} s bound")


def test_a_poll_the_others_wait_for_is_asked_to_look_before_any_wait_ends():
    seen = scenario("poll_that_the_others_wait_for")
    assert seen["finished"] == [True] and seen["stalled"] == [False] and seen["picture"] is None, (
        f"a poller asleep after its first look was the one to let a waiter go; the test's wait for the waiter "
        f"gave {seen}: expected the poll asked to look again (and the waiter let go), no stall")
    assert seen["seconds"] < BOUND, f"the waiter was let go only when a bound ran out: {seen}"


def test_a_page_server_waiting_for_clients_keeps_no_stall_from_being_seen():
    seen = scenario("stall_beside_a_page_server")
    assert seen["stalled"] == [True] and seen["seconds"] < BOUND, (
        f"a thread re-acquiring its own Lock beside a page server that waits for clients gave {seen}: "
        "expected the stall seen at once (the server's loop only sleeps)")


def test_a_client_whose_request_the_server_holds_at_a_kata_wait_ends_it_early():
    seen = scenario("a_client_waiting_on_a_held_request")
    assert seen["skipped"] == ["waits at the server for a second request"] and seen["seconds"] < BOUND, (
        f"a client waited (with a {2 * BOUND:g} s timeout) on a page whose handler waits at a rendezvous "
        f"nobody else will reach; saw {seen}: expected the rendezvous ended by the detector, not its bound")


def test_a_client_timeout_that_comes_before_the_server_s_bound_runs_out_on_its_own():
    seen = scenario("a_client_that_gives_up_before_the_held_request")
    assert seen["finished"] == [True] and seen["skipped"] == [] and seen["seconds"] < BOUND, (
        f"a client waited, with a {SLOW:g} s timeout, on a page held at a rendezvous with a {BOUND:g} s bound; "
        f"saw {seen}: expected the client's own timeout to end it first, and no kata wait ended early")


def test_a_join_of_a_thread_that_can_never_end_ends_early():
    seen = scenario("join_a_thread_stuck_on_a_lock")
    assert seen["finished"] == [False] and seen["stalled"] == [True] and seen["ended_after"] == [True], (
        f"stall.join() of a thread waiting for a lock the main thread holds (and then releases) gave {seen}: "
        f"expected the first join ended by the detector, not by its {BOUND:g} s bound, and the second to see "
        "the thread end")


# -- busy but getting nowhere: named at once, at its line --------------------------------------

@pytest.mark.parametrize("name, line, lesson", [
    ("busy_loop", "while not flag:  # the line the verdict must name", "a busy loop?"),
    ("sleep_loop", "time.sleep(0.001)  # the line the verdict must name", "a sleep in a loop?"),
])
def test_a_thread_that_spins_while_the_test_waits_ends_the_wait_early(name, line, lesson):
    seen = scenario(name)
    assert seen["finished"] == [False] and seen["spun"] == [True] and seen["stalled"] == [False], (
        f"scenario {name}: a thread loops on a flag nobody sets while the test waits for it; saw {seen}: "
        f"expected the test's wait ended early because the thread spins, not by its {BOUND:g} s bound")
    assert "stall_scenarios.py" in seen["spinning"] and line in seen["spinning"] and lesson in seen["spinning"], (
        f"scenario {name}: the verdict does not name the line the thread spins at ({line!r}) and the lesson "
        f"({lesson!r}):\n{seen['spinning']}")


def test_a_spin_proven_once_ends_the_next_wait_of_the_test_without_the_full_count_again():
    seen = scenario("busy_loop_waited_for_twice")
    assert seen["finished"] == [False] and seen["spun"] == [True, True], (
        f"a busy loop was waited for twice in one test; saw {seen}: expected both waits ended because it spins")
    assert seen["again_cpu"] < 2 * stall_spin.SPIN_CPU, (
        f"the spinner had burned {seen['again_cpu']:.1f} CPU-s when its second wait ended: a spin proven once "
        f"should end the next wait after {stall_spin.AGAIN_CPU:g} s more, not {stall_spin.SPIN_CPU:g} s again")


def test_a_thread_that_sleeps_on_after_its_stop_was_set_ends_the_wait_at_once():
    seen = scenario("sleeps_on_after_stop")
    assert seen["finished"] == [False] and seen["spun"] == [True] and seen["seconds"] < BOUND / 2, (
        f"a thread sleeps in time.sleep({BOUND:g}) and only then looks at its stop, which the test has set; "
        f"saw {seen}: expected the wait for it ended at once, not by its {BOUND:g} s bound")
    assert "time.sleep(BOUND)  # the line the verdict must name" in seen["spinning"] and \
        "time.sleep() cannot be interrupted by stop" in seen["spinning"], (
        f"the verdict does not name the sleeping line and the lesson:\n{seen['spinning']}")


@pytest.mark.parametrize("name", [
    "waits_on_stop",             # stop.wait(long): the set wakes it
    "sleeps_before_any_stop",    # time.sleep while no stop was said: only slow
])
def test_a_thread_that_waits_on_its_stop_is_never_a_sleep_on(name):
    seen = scenario(name)
    assert seen["finished"] == [True] and seen["spun"] == [False] and seen["spinning"] is None, (
        f"scenario {name}: a thread that ends when it should was judged {seen}:\n{seen['spinning']}")


# -- slow but correct: never a stall -----------------------------------------------------------

@pytest.mark.parametrize("name", [
    "starved_runnable_thread",      # runnable, kept off its only CPU by three spinning processes
    "join_a_slow_thread",           # stall.join() of a thread in time.sleep
    "timed_wait",                   # Event.wait(timeout): its own timeout will end it
    "waiting_for_a_child_process",  # a lock only a child process will release
    "waiting_on_a_socket",          # recv(), fed by a thread that was asleep when the test began
    "a_client_of_the_page_server",  # a page the server holds back (time.sleep in its handler)
])
def test_slow_but_correct_code_is_never_a_stall(name):
    seen = scenario(name)
    assert seen["finished"] == [True] and seen["stalled"] == [False] and seen["picture"] is None, (
        f"scenario {name}: code that only takes a while ({SLOW:g} s or more) was judged {seen}; "
        "expected it to finish with no stall seen: a slow machine is not a stall")
    assert seen["spinning"] is None, (
        f"scenario {name}: code that only takes a while was judged to spin:\n{seen['spinning']}\n"
        "a slow machine is not a busy loop")


@pytest.mark.parametrize("name", [
    "polls_a_queue",      # get(timeout=0.001) in a loop
    "polls_a_condition",  # wait(0.001) in a loop
    "polls_a_held_lock",  # acquire(timeout=0.001) in a loop
])
def test_threads_that_wait_for_data_in_a_loop_are_never_a_spin(name):
    seen = scenario(name)
    assert seen["finished"] == [True, True] and seen["spun"] == [False, False] and seen["spinning"] is None, (
        f"scenario {name}: two threads wait {stall_spin.SPIN_WAKES} times and more for something another thread "
        f"could give them, each wait timed; they were judged {seen}:\n{seen['spinning']}\n"
        "a wait for somebody is not a sleep of its own, however often it wakes")


def test_without_the_proof_the_detector_stays_idle(monkeypatch):
    monkeypatch.setattr(stall, "FUTEX", None)
    assert not stall.available(), "with no known futex syscall number the detector claimed it could prove stalls"
    detector = stall.Detector(stall.thread_ids()).start()
    try:
        assert detector._thread.ident is None, "the detector started watching without a way to prove anything"
    finally:
        detector.stop()
