"""No more commands can reach the kata's SSH servers before an ExecGate's wait ends: proven, so it ends now.

An ExecGate (kata.sshd) keeps its commands waiting in two ways. Those of a
generation not yet complete wait for company: a client that runs the hosts one
after another never sends the next command while the first waits. With ``hold``,
the first commands that meet there stay inside, so that a client that lets too
many workers loose is seen with one more command at the gate. A correct client
sends no more while they are held, and a clock alone cannot tell either from one
whose next connection is merely slow. ``no_command_can_come()`` proves, from what
the servers and the kernel (/proc) say, in this order:

1. the gate's commands wait (held, or for company), and every server, read on its
   loop, runs no command, and serves exec requests, channels and connections only
   for the commands waiting there: nothing else is on its way in;
2. no child process runs, but multiprocessing's helpers (they connect nowhere);
3. every active Transport is connected to an open connection of a kata server, is
   past its key exchange, sends no keepalives (kata.ssh_stuck.client_links); the
   packets it received are counted;
4. each of the code under test's threads (kata.ssh_stuck.their_threads) sleeps in a
   futex wait that does not time out before the gate's wait would end (no timeout,
   or a deadline the kernel holds, read from the wait's own timespec): twice,
   ``CONFIRM`` apart, its context switches unchanged: it slept throughout;
5. every such connection's TCP queues are empty at both ends; the Transports
   received no packet since step 3, and the servers are as in step 1.

Then a thread of the code under test wakes before the gate's wait would end only
when another thread runs: a Transport (for a packet: the servers send nothing while
their commands wait, so none comes), a server loop (it touches no client object),
the kata's own (they only look). No connection is on its way, none can start: no
command can arrive before the wait would run out, so ending it now gives the
verdict waiting would. Anything else (a thread that runs, sleeps with
``time.sleep``, waits in a socket or with a nearer timeout; a connection still
logging in; a byte in flight) is no proof: the wait lasts until a command more
comes, or its bound.
"""
from __future__ import annotations

import threading
import time
from concurrent import futures
from contextlib import contextmanager
from typing import Callable, NamedTuple

import paramiko

from kata import ssh_stuck, ssh_unclosed, sshd, stall_tree

CONFIRM = ssh_stuck.CONFIRM  # how long the code under test's threads must stay asleep for a proof
POLL = 0.05                  # how often a held gate is looked at again for such a proof


@contextmanager
def releasing(gate: sshd.ExecGate):
    """While the block runs, end each wait of ``gate``'s commands (its hold, a wait for company) as soon as no
    more commands can come (``no_command_can_come``).

    The thread entering the block is the one that waits for the code under test (it only waits).
    """
    waiter = threading.current_thread()
    stop = threading.Event()

    def watch():
        while not stop.wait(POLL) and not gate.broken:
            try:
                wait = _wait_of(gate)
                idle = wait is not None and _proven(gate, waiter, wait)
            except Exception:  # a library's internals moved: no proof, and the wait runs to its bound
                return         # (tests/test_sshd.py's self-checks fail instead, where it is noticed)
            if idle:
                wait.end()

    watcher = threading.Thread(target=watch, name="kata-ssh-idle", daemon=True)
    ssh_unclosed.WATCHERS.add(watcher)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


class _Wait(NamedTuple):
    """A wait of an ExecGate's commands: when it ends at the latest, whether it still goes on, how to end it."""

    until: float
    goes_on: Callable[[], bool]
    end: Callable[[], None]


def _wait_of(gate: sshd.ExecGate) -> _Wait | None:
    """The wait the commands inside ``gate`` are in now: its hold, or their generation's wait for company."""
    if gate.holding:
        return _Wait(gate.held_until, lambda: gate.holding, gate.release)
    generation = gate.waiting
    if generation is None:
        return None
    return _Wait(gate.company_until, lambda: gate.waiting == generation, lambda: gate.no_company(generation))


def no_command_can_come(gate: sshd.ExecGate, waiter: threading.Thread) -> bool:
    """Whether no command can reach the servers before the wait ``gate``'s commands are in would end
    (its hold, or their wait for company): the module's proof.

    ``waiter``: the kata's thread that waits for the code under test (it only waits).
    """
    wait = _wait_of(gate)
    return wait is not None and _proven(gate, waiter, wait)


def _proven(gate: sshd.ExecGate, waiter: threading.Thread, wait: _Wait) -> bool:
    flows = _flows(gate, wait)
    if flows is None or not _no_children():
        return False
    theirs = ssh_stuck.their_threads(waiter)
    if not theirs:
        return False
    transports = [t for t in threading.enumerate() if isinstance(t, paramiko.Transport) and t.is_active()]
    links = ssh_stuck.client_links(transports)
    if links is None:
        return False
    received = ssh_stuck.packets_received(transports)
    first = {tid: stall_tree.read(tid) for tid in theirs}
    if not all(_asleep_past(sleep, wait.until) for sleep in first.values()):
        return False
    time.sleep(CONFIRM)
    if ssh_stuck.their_threads(waiter) != theirs:
        return False
    second = {tid: stall_tree.read(tid) for tid in theirs}
    if any(not _asleep_past(second[tid], wait.until) or second[tid].switches != first[tid].switches
           for tid in theirs):
        return False
    if not _no_children() or not ssh_stuck.tcp_queues_empty(links):
        return False
    if ssh_stuck.packets_received(transports) != received:
        return False
    return wait.goes_on() and _flows(gate, wait) == flows


def _flows(gate: sshd.ExecGate, wait: _Wait) -> list | None:
    """Every server's flow (kata.sshd); None unless all they serve is the commands waiting in ``gate``."""
    inside = gate.inside
    try:
        flows = [server.flow() for server in sshd.serving()]
    except (TimeoutError, futures.TimeoutError, RuntimeError):  # a loop too slow to answer, or closing
        return None
    if any(commands for _, commands, _, _ in flows):
        return None  # a command runs: it has passed the gate
    totals = (sum(serving for serving, _, _, _ in flows), sum(channels for _, _, channels, _ in flows),
              sum(len(connections) for _, _, _, connections in flows))
    if totals != (inside, inside, inside) or not wait.goes_on():
        return None  # an exec request, a channel or a connection that is not a waiting command's
    return flows


def _no_children() -> bool:
    """Whether this process has no live child but multiprocessing's helpers (a forkserver, a resource tracker)."""
    tree = stall_tree.descendants()
    return tree is not None and not set(tree) - stall_tree.multiprocessing_helpers(tree)


def _asleep_past(sleep, deadline: float | None) -> bool:
    """Asleep in a futex wait that cannot time out before ``deadline`` (time.monotonic())."""
    return (sleep is not None and deadline is not None and sleep.state == "S" and sleep.futex
            and sleep.deadline is not None and sleep.deadline > deadline)
