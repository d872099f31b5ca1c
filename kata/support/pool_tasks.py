"""Tasks that the pools tests run in worker processes (topic: pools).

They live in a small module of their own, importing next to nothing, so that a
spawn or forkserver worker starts quickly: a child imports the module of the
function it is sent, and the test module would bring pytest and an HTTP server
with it. Barriers, events and counters reach these tasks through the pool's
initializer (install_probes), never as task arguments.
"""
import os
import threading

from kata import bounds, stall_child

# A process pool under spawn or forkserver starts each worker as a fresh interpreter: on a loaded
# machine that takes many seconds. Only a hang waits this long.
PROCESS_HANG = 4 * bounds.HANG


def square(x):
    return x * x


def square_and_pid(x):
    return x * x, os.getpid()


def no_match(item):
    return None


def fail_on_three(x):
    if x == 3:
        raise ValueError("task 3 failed on purpose")
    return x


_probes = None


def install_probes(*probes):
    """A pool initializer: keep the synchronisation objects for this worker's tasks."""
    global _probes
    _probes = probes


def occupy(item):
    """Count who is inside; meet one other task; watch (briefly) for a third that must not come."""
    lock, inside, peak, meet, over, missed = _probes
    with lock:
        inside.value += 1
        peak.value = max(peak.value, inside.value)
    try:
        stall_child.barrier_wait(meet, "waits at the rendezvous for another task")
    except threading.BrokenBarrierError:
        with lock:
            missed.value += 1
    try:
        over.wait()
    except threading.BrokenBarrierError:
        pass
    with lock:
        inside.value -= 1
    return item * 10


def finish_in_reverse(item):
    """Wait for this item's gate, note the finish, open the gate of the item before."""
    gates, order, count, lock = _probes
    if not stall_child.event_wait(gates[item], PROCESS_HANG, "waits for its gate (opened in reverse order)"):
        return "gate never opened"
    with lock:
        order[count.value] = item
        count.value += 1
    if item > 0:
        gates[item - 1].set()
    return item * item
