"""A call into paramiko that cannot return before the test's bound: the server waits on the client.

SSH flow control: the server sends a channel's output only while the client's
window has room, and paramiko opens the window again (WINDOW_ADJUST) only when
a thread of the client reads what already arrived. Code that waits for the exit
status before reading a large output waits for ever: the command cannot finish
while its output is unsent. Code that reads a command's output with no timeout
waits as long as the command prints nothing (``sleep 60``). ``held_by_the_window()``
proves either, from what the kata's servers (kata.sshd) and the kernel (/proc) say,
in this order:

1. each server, read on its loop (so after every byte it received), serves only
   commands whose output it holds for want of window ("held"), or that have nothing
   to send: no byte waiting, none in their pipes ("quiet"), and has no other channel
   open; the packets it sent and received on each connection are counted;
2. every active Transport is connected to an open connection of a kata server,
   is past its key exchange, sends no keepalives; the packets it received are
   counted; the threads of this process are those kata.ssh_unclosed accepts (the
   caller, paramiko's client Transports, the servers' loops, the stall detector,
   pytest's own) and the others: the code under test's;
3. each of the code under test's threads sleeps in a futex wait without a timeout,
   and every thread of a quiet command sleeps (nanosleep) until after the kata wait's
   deadline, or waits for a child of its command: twice, ``CONFIRM`` apart, their
   context switches unchanged: they slept throughout;
4. every such connection's TCP queues are empty, at both ends (/proc/net/tcp):
   no byte is in flight either way;
5. the Transports received no packet since step 2 (none of them woke anybody), and
   the servers are as in step 1: they sent nothing, received nothing.

Then only a read by one of the sleeping threads could reopen a window, and only a
quiet command's waking could give the server something to send; the threads wake
only when another thread runs: a Transport (for a packet: the servers send nothing,
so none comes), a server loop (it never touches the client's objects), the caller
(it only looks). Nothing happens before the kata wait's bound (for held output:
ever), so the wait may end now, as if its bound had run out. Anything else (a timed
wait, a thread in another system call, a command free to print, a byte in flight)
is no proof: the test waits for its bound.
"""
from __future__ import annotations

import math
import os
import struct
import threading
import time
from concurrent import futures

import paramiko

from kata import bounds, ssh_unclosed, sshd, stall_tree

CONFIRM = 0.05  # how long the code under test's threads must stay asleep for a proof
POLL = 0.1      # how often a wait for a call looks again for such a proof


def wait(worker, timeout: float = bounds.HANG) -> str | None:
    """Wait for ``worker`` (kata.workers.Worker) to finish, as ``worker.finished(timeout)`` does.

    While it waits, a thread of its own looks for a proof that the call cannot finish within
    ``timeout`` (``held_by_the_window``) and, once it has one, ends the wait: what holds the call,
    in words. None otherwise (the call finished, or the bound ran out: ``worker.done`` tells which).
    """
    waiter = threading.current_thread()
    deadline = time.monotonic() + timeout
    return watched(worker, timeout, lambda: held_by_the_window(waiter, deadline), "kata-ssh-window")


def watched(worker, timeout: float, prove, name: str):
    """Wait for ``worker`` to finish, as ``worker.finished(timeout)`` does, while a thread called ``name``
    asks ``prove()`` every POLL seconds for a proof that it cannot; the first answer that is not None
    ends the wait and is returned. None when the call finished or the bound ran out first.
    """
    found: list = []
    stop = threading.Event()

    def watch():
        while not stop.wait(POLL):
            try:
                proof = prove()
            except Exception:  # a library's internals moved: no proof, and the wait runs to its bound
                return         # (tests/test_sshd.py's self-checks fail instead, where it is noticed)
            if proof is not None:
                with worker.cond:
                    found.append(proof)
                    worker.cond.notify_all()
                return

    watcher = threading.Thread(target=watch, name=name, daemon=True)
    ssh_unclosed.WATCHERS.add(watcher)
    watcher.start()
    try:
        worker.finished(timeout, until=lambda: bool(found))
    finally:
        stop.set()
        watcher.join()
    return found[0] if found and not worker.done else None


def held_by_the_window(waiter: threading.Thread, deadline: float = math.inf) -> str | None:
    """Why the code under test cannot move before ``deadline`` (time.monotonic()), or None without a proof.

    ``waiter``: the kata's thread that waits for the code under test (it only waits).
    """
    flow = _flow()
    if flow is None:
        return None  # cheap first: no server holds output, or waits for a sleeping command
    theirs = their_threads(waiter)
    if not theirs:
        return None
    transports = [t for t in threading.enumerate() if isinstance(t, paramiko.Transport) and t.is_active()]
    links = client_links(transports)
    if links is None:
        return None
    quiet = _quiet_groups(flow)
    received = packets_received(transports)
    first = {tid: stall_tree.read(tid) for tid in theirs}
    commands = _groups_asleep(quiet, deadline) if quiet else {}
    if commands is None or not all(_asleep_untimed(sleep) for sleep in first.values()):
        return None
    time.sleep(CONFIRM)
    second = {tid: stall_tree.read(tid) for tid in theirs}
    if their_threads(waiter) != theirs or any(
            not _asleep_untimed(second[tid]) or second[tid].switches != first[tid].switches for tid in theirs):
        return None
    if (_groups_asleep(quiet, deadline) if quiet else {}) != commands:
        return None
    if not tcp_queues_empty(links) or packets_received(transports) != received:
        return None
    if _flow() != flow:
        return None
    if quiet:
        return ("the command sleeps on past the test's bound, the server has nothing to send until it ends, "
                "and every thread of the test waits for it with no timeout")
    return ("the server holds the command's output until the client reads what already arrived, and every "
            "thread of the test that could read it sleeps, waiting for something else")


def their_threads(waiter: threading.Thread) -> set[int] | None:
    """The native ids of the code under test's threads; None when a thread cannot be told apart."""
    threads = threading.enumerate()
    natives = ssh_unclosed.native_threads()
    if natives is None:
        return None
    known = ssh_unclosed.known_threads(threads) | {waiter}
    listed = {thread.native_id: thread for thread in threads}
    if any(tid not in listed and not ssh_unclosed.infrastructure(tid, started) for tid, started in natives.items()):
        return None  # a thread threading does not list: what it waits in cannot be told
    return {tid for tid, thread in listed.items()
            if thread not in known and not ssh_unclosed.infrastructure(tid, natives.get(tid))} or None


def _flow() -> list | None:
    """Every server's flow (kata.sshd); None unless each serves only commands it holds for want of window,
    or that have nothing to send."""
    try:
        flows = [server.flow() for server in sshd.serving()]
    except (TimeoutError, futures.TimeoutError, RuntimeError):  # a loop too slow to answer, or closing
        return None
    commands = [command for _, commands, _, _ in flows for command in commands]
    if not commands or any(serving != len(commands) or channels != len(commands)
                           for serving, commands, channels, _ in flows) or any(kind == "busy" for kind, _ in commands):
        return None  # an exec request not yet running, a channel that is no command's, a command free to print
    return flows


def _quiet_groups(flow) -> set[int]:
    return {group for _, commands, _, _ in flow for kind, group in commands if kind == "quiet"}


def _groups_asleep(groups: set[int], deadline: float) -> dict | None:
    """The context switches of every thread of these process groups (the quiet commands), when each
    sleeps past ``deadline`` (time.monotonic()) or waits for a child of its own group; else None."""
    tree = stall_tree.descendants()
    if tree is None:
        return None
    members = {pid: tids for pid, tids in tree.items() if _group(pid) in groups}
    if {_group(pid) for pid in members} != groups:
        return None  # a command with no live process left: it is ending, and the server will say so
    switches = {}
    for pid, tids in members.items():
        for tid in tids:
            now = stall_tree.task(tid, pid)
            if now is None or now[0] != "S" or not _sleeps_past(pid, tid, now[2], deadline, groups):
                return None
            switches[pid, tid] = now[1]
    return switches


def _sleeps_past(pid: int, tid: int, call: list[str], deadline: float, groups: set[int]) -> bool:
    """Whether a command's thread sleeps (nanosleep, clock_nanosleep relative) until after ``deadline``,
    or waits (wait4) with every child of its process in one of ``groups``."""
    try:
        number, args = int(call[0]), [int(arg, 16) for arg in call[1:7]]
    except (ValueError, IndexError):
        return False
    name = stall_tree.CALL.get(number)
    if name == "wait4":
        children = _read(f"/proc/{pid}/task/{tid}/children").split()
        return all(child.isdigit() and _group(int(child)) in groups for child in children)
    if name == "nanosleep":
        request = args[0]
    elif name == "clock_nanosleep" and args[1] == 0:  # flags 0: a relative sleep
        request = args[2]
    else:
        return False
    length = _timespec(pid, request)
    started = _started(pid, tid)
    if length is None or started is None:
        return False
    # It began at or after its thread did: it ends no sooner than that start plus its length.
    ends_in = started + length - time.clock_gettime(time.CLOCK_BOOTTIME)
    return ends_in > deadline - time.monotonic()


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read()
    except OSError:
        return "?"


def _group(pid: int) -> int | None:
    try:
        return int(_read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[2])
    except (ValueError, IndexError):
        return None


def _started(pid: int, tid: int) -> float | None:
    """When the thread started, in seconds on CLOCK_BOOTTIME (/proc's clock ticks, rounded down)."""
    ticks = stall_tree.started(tid, pid)
    return None if ticks is None else ticks / os.sysconf("SC_CLK_TCK")


def _timespec(pid: int, address: int) -> float | None:
    data = stall_tree._memory(pid, address, 16)  # a struct timespec: seconds, nanoseconds
    if data is None:
        return None
    seconds, nanoseconds = struct.unpack("qq", data)
    return seconds + nanoseconds / 1e9


def _asleep_untimed(sleep) -> bool:
    return sleep is not None and sleep.state == "S" and sleep.untimed


def client_links(transports) -> set[tuple[int, int]] | None:
    """(client port, server port) of each active Transport; None unless each is a quiet client of a kata server."""
    peers = {peer: server for server in sshd.serving() for peer in server.open_peers()}
    links = set()
    for transport in transports:
        addresses = ssh_unclosed.addresses(transport)
        if transport.server_mode or addresses is None or transport.in_kex or not transport.clear_to_send.is_set():
            return None
        local, remote = addresses
        server = peers.get(local)
        if server is None or remote != server.address or getattr(
                transport.packetizer, "_Packetizer__keepalive_interval", 1) or None in packets_received([transport])[0]:
            return None  # not a kata server's, or it sends keepalives, or what it receives cannot be counted
        links.add((local[1], remote[1]))
    return links


def packets_received(transports) -> list[tuple]:
    """What each Transport has received so far: packets (their sequence number) and bytes (None: unknown)."""
    return [(getattr(t.packetizer, "_Packetizer__sequence_number_in", None),
             getattr(t.packetizer, "_Packetizer__received_bytes", None)) for t in transports]


def tcp_queues_empty(links: set[tuple[int, int]]) -> bool:
    """Whether both ends of each loopback link are in /proc/net/tcp with nothing queued to send or to read."""
    wanted = {pair for client, server in links for pair in ((client, server), (server, client))}
    seen = set()
    try:
        with open("/proc/net/tcp") as file:
            next(file)
            for line in file:
                fields = line.split()
                local, remote, queues = fields[1], fields[2], fields[4]
                pair = (int(local.split(":")[1], 16), int(remote.split(":")[1], 16))
                if pair in wanted and local.startswith("0100007F") and remote.startswith("0100007F"):
                    if queues != "00000000:00000000":
                        return False
                    seen.add(pair)
    except (OSError, ValueError, IndexError, StopIteration):
        return False
    return seen == wanted
