"""Programs that stall, and programs that are only slow, for tests/test_stall.py.

    python -m tests.stall_scenarios NAME    # prints one JSON line: what the detector saw

Each runs in a fresh process of its own, so that no thread of the self-check
session (a pool of topic runs, a server) stands in the detector's way, and so
that threads left stuck for good die with the process.
"""
from __future__ import annotations

import functools
import json
import multiprocessing
import os
import queue
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

from kata import stall, stall_picture, stall_sleep, stall_spin
from kata.httpserver import PageServer
from kata.probes import Rendezvous
from kata.support.queues import asleep
from kata.workers import Worker

HERE = Path(__file__).resolve().parent
SLOW = 0.6  # how long the slow-but-correct programs take: many detector samples long
BOUND = 30.0  # the kata waits' bound here: a stall that is not seen makes the scenario slow, not wrong
POLLED = 3.0  # how long the threads that wait for data in a loop keep at it: more wake-ups than a spin needs


def _two_threads_opposite_lock_order(seen):
    first, second = threading.Lock(), threading.Lock()
    both_hold_one = threading.Barrier(2)

    def transfer(a, b):
        with a:
            both_hold_one.wait()
            with b:
                pass

    workers = [Worker(transfer, first, second, name="alex").start(),
               Worker(transfer, second, first, name="egon").start()]
    seen["finished"] = [worker.finished(BOUND) for worker in workers]
    seen["stalled"] = [worker.stalled for worker in workers]


def _join_inside_the_start_loop(seen):
    meeting = Rendezvous(3, timeout=BOUND)

    def run_all():
        for name in ("egon", "alex", "yuanhao"):
            thread = threading.Thread(target=meeting.meet, name=name)
            thread.start()
            thread.join()

    caller = Worker(run_all, name="run_all").start()
    seen["finished"] = [caller.finished(BOUND * 2)]  # as in the tests: the outer bound is the longer
    seen["missed"] = meeting.missed


def _lock_never_released(seen):
    lock = threading.Lock()
    taker = threading.Thread(target=lock.acquire, name="taker")
    taker.start()
    taker.join()
    lock.acquire()  # nobody is left to release it
    seen["returned"] = True


def _lock_taken_twice(seen):
    lock = threading.Lock()

    def twice():
        with lock:
            with lock:
                pass

    worker = Worker(twice, name="twice").start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"] = [worker.stalled]


def _starved_runnable_thread(seen):
    """A thread with work left that the scheduler keeps off the only CPU it may use, for a while."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    hogs = [multiprocessing.get_context("fork").Process(target=_spin, args=(cpu, SLOW * 2), daemon=True)
            for _ in range(3)]
    for hog in hogs:
        hog.start()
    worker = Worker(_count, 3_000_000, name="counter").start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"] = [worker.stalled]
    for hog in hogs:
        hog.join()


def _spin(cpu, seconds):
    os.sched_setaffinity(0, {cpu})
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _count(n):
    total = 0
    for i in range(n):
        total += i
    return total


def _wait_for_a_loop(seen, loop, flag, name):
    """Wait (bounded) for a thread running ``loop`` until ``flag`` is set; record how the wait ended; stop it."""
    worker = Worker(loop, name=name).start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"], seen["spun"] = [worker.stalled], [worker.spun]
    flag.append(True)
    worker.finished(BOUND)


def _busy_loop(seen):
    """A thread that spins on a flag nobody sets while the test waits for it: a busy loop, not a stall."""
    flag = []

    def spin():
        while not flag:  # the line the verdict must name
            pass

    _wait_for_a_loop(seen, spin, flag, "spinner")


def _sleep_loop(seen):
    """A thread that sleeps in a loop, looking at a flag nobody sets: it burns little CPU, but wakes often."""
    flag = []

    def poll():
        while not flag:
            time.sleep(0.001)  # the line the verdict must name

    _wait_for_a_loop(seen, poll, flag, "poller")


def _busy_loop_waited_for_twice(seen):
    """A busy loop proven once, then waited for again: the second wait ends without the full CPU count."""
    flag = []

    def spin():
        while not flag:  # the line the verdict must name
            pass

    worker = Worker(spin, name="spinner").start()
    seen["finished"] = [worker.finished(BOUND)]
    again = threading.Condition()
    with again:
        stall.wait_for(again, lambda: False, BOUND, "waits for the spinner again")
    seen["spun"] = [worker.spun, stall.was_spun()]
    seen["again_cpu"] = stall_spin.cpu_seconds(worker.thread.native_id)
    flag.append(True)
    worker.finished(BOUND)


def _sleeps_on_after_stop(seen):
    """A loop that sleeps, then looks at its stop event: once the stop is set, its sleep cannot end early."""
    stop = threading.Event()

    def light():
        while True:
            time.sleep(BOUND)  # the line the verdict must name
            if stop.is_set():
                return

    worker = Worker(light, name="light").start()
    stop.set()
    stall.stop_is_set("stop")
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"], seen["spun"] = [worker.stalled], [worker.spun]


def _waits_on_stop(seen):
    """A loop that waits on its stop event: the set wakes it, however long its waits (never a sleep on)."""
    stop = threading.Event()
    waiting = threading.Event()

    def light():
        waiting.set()
        while not stop.wait(BOUND):
            pass

    worker = Worker(light, name="light").start()
    waiting.wait(BOUND)
    stop.set()
    stall.stop_is_set("stop")
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"], seen["spun"] = [worker.stalled], [worker.spun]


def _sleeps_before_any_stop(seen):
    """A thread in time.sleep while no stop has been said: only slow, never a sleep on."""
    worker = Worker(time.sleep, SLOW, name="sleeper").start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"], seen["spun"] = [worker.stalled], [worker.spun]


def _poll_for(seen, wait_once):
    """Two threads wait for data in a loop, each wait timed (1 ms), for POLLED seconds: they wake as often as
    a sleep in a loop does, but another thread could end each of their waits, so they are no spin."""
    def poll():
        end = time.monotonic() + POLLED
        while time.monotonic() < end:
            wait_once()

    workers = [Worker(poll, name=f"poller-{i}").start() for i in range(2)]
    seen["finished"] = [worker.finished(BOUND) for worker in workers]
    seen["stalled"], seen["spun"] = [worker.stalled for worker in workers], [worker.spun for worker in workers]


def _polls_a_queue(seen):
    items = queue.Queue()

    def get():
        try:
            items.get(timeout=0.001)
        except queue.Empty:
            pass

    _poll_for(seen, get)


def _polls_a_condition(seen):
    news = threading.Condition()

    def wait():
        with news:
            news.wait(0.001)

    _poll_for(seen, wait)


def _polls_a_held_lock(seen):
    lock = threading.Lock()
    lock.acquire()  # held for good: each try times out
    _poll_for(seen, lambda: lock.acquire(timeout=0.001))


def _poll_for_a_thread_that_never_moves(seen):
    """stall.poll_until() for a thread stuck on a lock nobody will release: a stall, so the poll ends early."""
    lock = threading.Lock()
    lock.acquire()
    stuck = threading.Thread(target=lock.acquire, name="stuck", daemon=True)
    stuck.start()
    seen["finished"] = [stall.poll_until(lambda: not stuck.is_alive(), BOUND, "looks at 'stuck'")]
    seen["stalled"] = [stall.was_cut()]


def _poll_that_the_others_wait_for(seen):
    """A poll, asleep long past its first look, is the one that would end the others' waits: never a stall.

    The waiter sleeps, with no timeout, until the poller sees it asleep; the main thread's kata wait for
    the waiter has the earlier bound. Taken for asleep, the poller would let the detector end that wait.
    """
    go, first_look = threading.Event(), threading.Event()
    waiter = Worker(go.wait, name="waiter")

    def look():
        first_look.set()
        return waiter.thread.is_alive() and asleep(waiter.thread)

    def poll():
        if stall.poll_until(look, 2 * BOUND, "looks at 'waiter'", every=2 * BOUND):
            go.set()

    threading.Thread(target=poll, name="poller", daemon=True).start()
    first_look.wait(BOUND)  # its first look is over (or under way) before the waiter starts
    waiter.start()
    seen["finished"] = [waiter.finished(BOUND)]
    seen["stalled"] = [waiter.stalled]


def _stall_beside_a_page_server(seen):
    """A thread takes its own lock twice while the test's page server waits for clients: still a stall."""
    with PageServer({"/": "<html></html>"}):
        _lock_taken_twice(seen)


def _a_client_of_the_page_server(seen):
    """A thread fetches a page the server holds back for a while: it waits on a socket, never a stall."""
    with PageServer({"/": "<html></html>"}, on_request=lambda path: time.sleep(SLOW)) as server:
        worker = Worker(lambda: urllib.request.urlopen(server.url("/"), timeout=BOUND).read(), name="client")
        seen["finished"] = [worker.start().finished(BOUND)]
        seen["stalled"] = [worker.stalled]


def _client_of_a_held_request(seen, client_timeout):
    """A client fetches a page whose handler waits at a kata rendezvous no second request will reach."""
    meeting = threading.Barrier(2, timeout=BOUND)

    def hold(path):
        try:
            stall.barrier_wait(meeting, "waits at the server for a second request")
        except threading.BrokenBarrierError:
            pass  # ended early, or by its bound: the page goes out either way

    with PageServer({"/": "<html></html>"}, on_request=hold) as server:
        worker = Worker(lambda: urllib.request.urlopen(server.url("/"), timeout=client_timeout).read(),
                        name="client")
        seen["finished"] = [worker.start().finished(3 * BOUND)]
        seen["stalled"] = [worker.stalled]


def _a_client_waiting_on_a_held_request(seen):
    _client_of_a_held_request(seen, client_timeout=2 * BOUND)


def _a_client_that_gives_up_before_the_held_request(seen):
    _client_of_a_held_request(seen, client_timeout=SLOW)


def _join_a_thread_stuck_on_a_lock(seen):
    """stall.join() of a thread that waits for a lock nobody will release: a stall, so the join ends early."""
    lock = threading.Lock()
    lock.acquire()
    stuck = threading.Thread(target=lock.acquire, name="stuck", daemon=True)
    stuck.start()
    seen["finished"] = [stall.join(stuck, BOUND, "waits for 'stuck' to end")]
    seen["stalled"] = [stall.was_cut()]
    lock.release()
    seen["ended_after"] = [stall.join(stuck, BOUND, "waits for 'stuck' to end")]


def _join_a_slow_thread(seen):
    """stall.join() of a thread that only takes a while: it returns when the thread ends."""
    slow = threading.Thread(target=time.sleep, args=(SLOW,), name="slow")
    slow.start()
    seen["finished"] = [stall.join(slow, BOUND, "waits for 'slow' to end")]
    seen["stalled"] = [stall.was_cut()]


def _timed_wait(seen):
    worker = Worker(threading.Event().wait, SLOW, name="patient").start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"] = [worker.stalled]


def _timed_wait_longer_than_the_bound(seen):
    """A wait whose own timeout (far off) would come after the kata's bound: the bound runs out first."""
    worker = Worker(threading.Event().wait, 10 * BOUND, name="too-patient").start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"] = [worker.stalled]


def _waiting_for_a_child_process(seen):
    """A thread blocked, with no timeout, on a lock that only a child process will release."""
    context = multiprocessing.get_context("fork")
    lock, holding = context.Lock(), context.Event()
    child = context.Process(target=_hold, args=(lock, holding, SLOW))
    child.start()
    holding.wait(BOUND)
    worker = Worker(lock.acquire, name="after-the-child").start()
    seen["finished"] = [worker.finished(BOUND)]
    seen["stalled"] = [worker.stalled]
    child.join()


def _hold(lock, holding, seconds):
    with lock:
        holding.set()
        time.sleep(seconds)


def _waiting_on_a_socket(seen):
    """A thread blocked in recv(), fed by a thread that was already asleep when the test began.

    The writer sleeps in clock_nanosleep, not in a futex, and is older than the
    detector: only the reader's recv() (no futex wait) keeps this from a stall.
    """
    ours, theirs = _SOCKETS
    with ours:
        reader = Worker(ours.recv, 1, name="reader").start()
        seen["finished"] = [reader.finished(BOUND)]
        seen["stalled"] = [reader.stalled]


def _send_later(sock):
    time.sleep(SLOW)
    with sock:
        sock.sendall(b"x")


_SOCKETS: tuple = ()


# -- across processes: each runs under the start method named after its colon -------------------

def _join_before_draining_the_queue(seen, method):
    """The child's queue feeder waits for room in the pipe; the parent joins the child before reading."""
    context = multiprocessing.get_context(method)
    results = context.Queue()
    child = context.Process(target=_put_a_lot, args=(results,))
    child.start()
    joiner = Worker(child.join, name="joiner").start()
    seen["finished"] = [joiner.finished(BOUND)]
    seen["stalled"] = [joiner.stalled]
    child.kill()
    child.join()


def _put_a_lot(results):
    results.put(b"x" * 1_000_000)  # more than a pipe holds: the child's exit waits until it is read


def _get_from_a_child_that_sent_nothing(seen, method):
    context = multiprocessing.get_context(method)
    results = context.Queue()
    child = context.Process(target=os.getpid)
    child.start()
    child.join()
    getter = Worker(results.get, name="getter").start()
    seen["finished"] = [getter.finished(BOUND)]
    seen["stalled"] = [getter.stalled]


def _child_waits_for_a_lock_the_parent_holds(seen, method):
    """The parent joins a child that waits, with no timeout, for a process lock the parent holds."""
    context = multiprocessing.get_context(method)
    lock = context.Lock()
    lock.acquire()
    child = context.Process(target=_take, args=(lock,))
    child.start()
    joiner = Worker(child.join, name="joiner").start()
    seen["finished"] = [joiner.finished(BOUND)]
    seen["stalled"] = [joiner.stalled]
    lock.release()
    child.join()


def _join_process_of_a_child_stuck_on_a_lock(seen, method):
    """stall.join_process() of a child that waits for a process lock the parent holds: it ends early."""
    context = multiprocessing.get_context(method)
    lock = context.Lock()
    lock.acquire()
    child = context.Process(target=_take, args=(lock,))
    child.start()
    seen["finished"] = [stall.join_process(child, BOUND, "waits for the child to end")]
    seen["stalled"] = [stall.was_cut()]
    lock.release()
    seen["ended_after"] = [stall.join_process(child, BOUND, "waits for the child to end"), child.exitcode]


def _join_process_of_a_sleeping_child(seen, method):
    """stall.join_process() of a child that only sleeps a while: it returns when the child ends."""
    child = multiprocessing.get_context(method).Process(target=time.sleep, args=(SLOW,))
    child.start()
    seen["finished"] = [stall.join_process(child, BOUND, "waits for the child to end")]
    seen["stalled"] = [stall.was_cut()]
    seen["ended_after"] = [True, child.exitcode]


def _take(lock):
    with lock:
        pass


def _a_child_doing_work(seen, method):
    """The parent waits on a queue while the child computes, then sends: slow, never a stall."""
    context = multiprocessing.get_context(method)
    results = context.Queue()
    child = context.Process(target=_work_then_put, args=(results, SLOW))
    child.start()
    getter = Worker(results.get, name="getter").start()
    seen["finished"] = [getter.finished(BOUND)]
    seen["stalled"] = [getter.stalled]
    child.join()


def _work_then_put(results, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    results.put("done")


def _a_child_sleeping(seen, method):
    """The parent joins a child that sleeps (clock_nanosleep, no futex) before it ends."""
    context = multiprocessing.get_context(method)
    child = context.Process(target=time.sleep, args=(SLOW,))
    child.start()
    joiner = Worker(child.join, name="joiner").start()
    seen["finished"] = [joiner.finished(BOUND)]
    seen["stalled"] = [joiner.stalled]


def _the_first_child_under_forkserver(seen, method):
    """Starting the forkserver itself: the test's thread reads a pipe whose other end is still in
    flight to the server, which is busy starting: never a stall."""
    context = multiprocessing.get_context(method)
    child = context.Process(target=os.getpid)
    starter = Worker(child.start, name="starter").start()
    seen["finished"] = [starter.finished(BOUND)]
    seen["stalled"] = [starter.stalled]
    child.join()


def _a_pipe_fed_from_outside_the_tree(seen, method):
    """A thread reads a pipe that only a process which left the tree (a double fork) will write to.

    Every thread of the tree is asleep on the pipe, yet the escaped writer will
    answer: a pipe held outside the tree keeps the detector quiet.
    """
    readable, writable = os.pipe()
    middle = os.fork()
    if middle == 0:  # the middle process forks the writer and ends at once: the writer leaves the tree
        if os.fork() == 0:
            os.close(readable)
            time.sleep(SLOW)
            os.write(writable, b"x")
            os._exit(0)
        os._exit(0)
    os.close(writable)
    os.waitpid(middle, 0)
    reader = Worker(os.read, readable, 1, name="reader").start()
    seen["finished"] = [reader.finished(BOUND)]
    seen["stalled"] = [reader.stalled]
    os.close(readable)

SCENARIOS = {function.__name__.lstrip("_"): function for function in (
    _two_threads_opposite_lock_order, _join_inside_the_start_loop, _lock_never_released, _lock_taken_twice,
    _starved_runnable_thread, _busy_loop, _sleep_loop, _busy_loop_waited_for_twice, _sleeps_on_after_stop,
    _waits_on_stop, _sleeps_before_any_stop, _polls_a_queue, _polls_a_condition, _polls_a_held_lock,
    _join_a_thread_stuck_on_a_lock, _join_a_slow_thread, _poll_for_a_thread_that_never_moves,
    _poll_that_the_others_wait_for, _stall_beside_a_page_server, _a_client_of_the_page_server,
    _a_client_waiting_on_a_held_request, _a_client_that_gives_up_before_the_held_request,
    _timed_wait, _timed_wait_longer_than_the_bound, _waiting_for_a_child_process,
    _waiting_on_a_socket, _join_before_draining_the_queue, _get_from_a_child_that_sent_nothing,
    _child_waits_for_a_lock_the_parent_holds, _join_process_of_a_child_stuck_on_a_lock,
    _join_process_of_a_sleeping_child, _a_child_doing_work, _a_child_sleeping,
    _the_first_child_under_forkserver, _a_pipe_fed_from_outside_the_tree)}


def main(name: str) -> None:
    global _SOCKETS
    name, _, method = name.partition(":")
    scenario = SCENARIOS[name]
    if method:
        scenario = functools.partial(scenario, method=method)
    if scenario is _waiting_on_a_socket:
        _SOCKETS = socket.socketpair()
        threading.Thread(target=_send_later, args=(_SOCKETS[1],), name="writer", daemon=True).start()
    detector = stall.Detector(stall.thread_ids(),
                              describe=lambda tids, timed: stall_picture.describe(tids, HERE, timed),
                              locate=lambda tids, quiet=False: stall_picture.locate(tids, HERE, quiet),
                              spin=stall_spin.SpinWatch(HERE), sleep=stall_sleep.SleepWatch(HERE))
    seen: dict = {"available": stall.available()}
    started = time.monotonic()
    detector.start()
    if method == "forkserver" and scenario.func is not _the_first_child_under_forkserver:
        multiprocessing.get_context(method).Process(target=os.getpid).start()  # the server, before the test
    try:
        scenario(seen)
    except stall.Stall as exc:
        seen["raised"] = str(exc)
    finally:
        detector.stop()
    seen["seconds"] = round(time.monotonic() - started, 2)
    verdict = detector.verdict
    seen["picture"] = verdict.picture if verdict else None
    seen["skipped"] = verdict.skipped if verdict else []
    seen["spinning"] = detector.spinning
    print(json.dumps(seen), flush=True)
    os._exit(0)  # threads stuck for good end with the process


if __name__ == "__main__":
    main(sys.argv[1])
