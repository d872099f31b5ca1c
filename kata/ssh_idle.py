"""No more commands can reach the kata's SSH servers before an ExecGate's hold ends: proven, so it ends now.

An ExecGate (kata.sshd) with ``hold`` keeps the first commands that meet there
inside, so that a client that lets too many workers loose is seen with one more
command at the gate. A correct client sends no more while they are held, and a
clock alone cannot tell it from one whose next connection is merely slow.
``no_command_can_come()`` proves, from what the servers and the kernel (/proc)
say, in this order:

1. the gate holds its first generation, and every server, read on its loop, runs
   no command, and serves exec requests, channels and connections only for the
   commands the gate holds: nothing else is on its way in;
2. no child process runs, but multiprocessing's helpers (they connect nowhere);
3. every active Transport is connected to an open connection of a kata server, is
   past its key exchange, sends no keepalives (kata.ssh_stuck.client_links); the
   packets it received are counted;
4. each of the code under test's threads (kata.ssh_stuck.their_threads) sleeps in a
   futex wait that does not time out before the hold would end (no timeout, or a
   deadline the kernel holds, read from the wait's own timespec): twice, ``CONFIRM``
   apart, its context switches unchanged: it slept throughout;
5. every such connection's TCP queues are empty at both ends; the Transports
   received no packet since step 3, and the servers are as in step 1.

Then a thread of the code under test wakes before the hold would end only when
another thread runs: a Transport (for a packet: the servers send nothing while
their commands wait, so none comes), a server loop (it touches no client object),
the kata's own (they only look). No connection is on its way, none can start: no
command can arrive before the hold would run out, so ending it now gives the
verdict waiting would. Anything else (a thread that runs, sleeps with
``time.sleep``, waits in a socket or with a nearer timeout; a connection still
logging in; a byte in flight) is no proof: the hold lasts until a command more
comes, or its bound.
"""
from __future__ import annotations

import threading
import time
from concurrent import futures
from contextlib import contextmanager

import paramiko

from kata import ssh_stuck, ssh_unclosed, sshd, stall_tree

CONFIRM = ssh_stuck.CONFIRM  # how long the code under test's threads must stay asleep for a proof
POLL = 0.05                  # how often a held gate is looked at again for such a proof


@contextmanager
def releasing(gate: sshd.ExecGate):
    """While the block runs, end ``gate``'s hold as soon as no more commands can come (``no_command_can_come``).

    The thread entering the block is the one that waits for the code under test (it only waits).
    """
    waiter = threading.current_thread()
    stop = threading.Event()

    def watch():
        while not stop.wait(POLL) and gate.let_go is None:
            try:
                idle = gate.holding and no_command_can_come(gate, waiter)
            except Exception:  # a library's internals moved: no proof, and the hold runs to its bound
                return         # (tests/test_sshd.py's self-checks fail instead, where it is noticed)
            if idle:
                gate.release()
                return

    watcher = threading.Thread(target=watch, name="kata-ssh-idle", daemon=True)
    ssh_unclosed.WATCHERS.add(watcher)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


def no_command_can_come(gate: sshd.ExecGate, waiter: threading.Thread) -> bool:
    """Whether no command can reach the servers before ``gate``'s hold would end (the module's proof).

    ``waiter``: the kata's thread that waits for the code under test (it only waits).
    """
    flows = _flows(gate)
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
    if not all(_asleep_past(sleep, gate.held_until) for sleep in first.values()):
        return False
    time.sleep(CONFIRM)
    if ssh_stuck.their_threads(waiter) != theirs:
        return False
    second = {tid: stall_tree.read(tid) for tid in theirs}
    if any(not _asleep_past(second[tid], gate.held_until) or second[tid].switches != first[tid].switches
           for tid in theirs):
        return False
    if not _no_children() or not ssh_stuck.tcp_queues_empty(links):
        return False
    if ssh_stuck.packets_received(transports) != received:
        return False
    return gate.holding and _flows(gate) == flows


def _flows(gate: sshd.ExecGate) -> list | None:
    """Every server's flow (kata.sshd); None unless all they serve is the commands ``gate`` holds."""
    inside = gate.inside
    try:
        flows = [server.flow() for server in sshd.serving()]
    except (TimeoutError, futures.TimeoutError, RuntimeError):  # a loop too slow to answer, or closing
        return None
    if any(commands for _, commands, _, _ in flows):
        return None  # a command runs: it has passed the gate
    totals = (sum(serving for serving, _, _, _ in flows), sum(channels for _, _, channels, _ in flows),
              sum(len(connections) for _, _, _, connections in flows))
    if totals != (inside, inside, inside) or not gate.holding:
        return None  # an exec request, a channel or a connection that is not a held command's
    return flows


def _no_children() -> bool:
    """Whether this process has no live child but multiprocessing's helpers (a forkserver, a resource tracker)."""
    tree = stall_tree.descendants()
    return tree is not None and not set(tree) - stall_tree.multiprocessing_helpers(tree)


def _asleep_past(sleep, deadline: float | None) -> bool:
    """Asleep in a futex wait that cannot time out before ``deadline`` (time.monotonic())."""
    return (sleep is not None and deadline is not None and sleep.state == "S" and sleep.futex
            and sleep.deadline is not None and sleep.deadline > deadline)
