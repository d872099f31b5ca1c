"""A call into paramiko that can never return, because its output waits for a window nobody will open.

SSH flow control: the server sends a channel's output only while the client's
window has room, and paramiko opens the window again (WINDOW_ADJUST) only when
a thread of the client reads what already arrived. Code that waits for the exit
status before reading a large output waits for ever: the command cannot finish
while its output is unsent. ``held_by_the_window()`` proves that, from what the
kata's servers (kata.sshd) and the kernel (/proc) say, in this order:

1. each server, read on its loop (so after every byte it received), serves only
   exec requests whose output it holds for want of window; the packets it sent
   and received on each connection are counted;
2. every active Transport is connected to an open connection of a kata server,
   is past its key exchange, sends no keepalives; the packets it received are
   counted; the threads of this process are those kata.ssh_unclosed accepts (the
   caller, paramiko's client Transports, the servers' loops, the stall detector,
   pytest's own) and the others: the code under test's;
3. each of the code under test's threads sleeps in a futex wait without a timeout,
   twice, ``CONFIRM`` apart, its context switches unchanged: it slept throughout;
4. every such connection's TCP queues are empty, at both ends (/proc/net/tcp):
   no byte is in flight either way;
5. the Transports received no packet since step 2 (none of them woke anybody), and
   the servers are as in step 1: they sent nothing, received nothing.

Then only a read by one of the sleeping threads could reopen a window; they wake
only when another thread runs: a Transport (for a packet: the servers hold
everything back, so none comes), a server loop (it never touches the client's
objects), the caller (it only looks). Nobody will read, and nothing will ever
happen. Anything else (a timed wait, a thread in another system call, a command
still free to print, a byte in flight) is no proof: the test waits for its bound.
"""
from __future__ import annotations

import threading
import time

import paramiko

from kata import bounds, ssh_unclosed, sshd, stall_tree

CONFIRM = 0.05  # how long the code under test's threads must stay asleep for a proof
POLL = 0.1      # how often a wait for a call looks again for such a proof


def wait(worker, timeout: float = bounds.HANG) -> str | None:
    """Wait for ``worker`` (kata.workers.Worker) to finish, as ``worker.finished(timeout)`` does.

    While it waits, a thread of its own looks for a proof that the call can never finish
    (``held_by_the_window``) and, once it has one, ends the wait: what holds the call, in words.
    None otherwise (the call finished, or the bound ran out: ``worker.done`` tells which).
    """
    waiter = threading.current_thread()
    found: list[str] = []
    stop = threading.Event()

    def watch():
        while not stop.wait(POLL):
            held = held_by_the_window(waiter)
            if held is not None:
                with worker.cond:
                    found.append(held)
                    worker.cond.notify_all()
                return

    watcher = threading.Thread(target=watch, name="kata-ssh-window", daemon=True)
    watcher.start()
    try:
        worker.finished(timeout, until=lambda: bool(found))
    finally:
        stop.set()
        watcher.join()
    return found[0] if found and not worker.done else None


def held_by_the_window(waiter: threading.Thread) -> str | None:
    """Why the code under test can never move again (its output waits for a window), or None without a proof.

    ``waiter``: the kata's thread that waits for the code under test (it only waits).
    """
    if _flow() is None:
        return None  # cheap first: no server holds output
    theirs = _their_threads(waiter)
    if not theirs:
        return None
    transports = [t for t in threading.enumerate() if isinstance(t, paramiko.Transport) and t.is_active()]
    links = _links(transports)
    if links is None:
        return None
    flow = _flow()
    received = _received(transports)
    first = {tid: stall_tree.read(tid) for tid in theirs}
    if not all(_asleep_untimed(sleep) for sleep in first.values()):
        return None
    time.sleep(CONFIRM)
    second = {tid: stall_tree.read(tid) for tid in theirs}
    if _their_threads(waiter) != theirs or any(
            not _asleep_untimed(second[tid]) or second[tid].switches != first[tid].switches for tid in theirs):
        return None
    if not _queues_empty(links) or _received(transports) != received:
        return None
    if flow is None or _flow() != flow:
        return None
    return ("the server holds the command's output until the client reads what already arrived, and every "
            "thread of the test that could read it sleeps, waiting for something else")


def _their_threads(waiter: threading.Thread) -> set[int] | None:
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
    """Every server's flow (kata.sshd); None unless each serves only exec requests it holds for want of window."""
    flows = [server.flow() for server in sshd.serving()]
    if not any(serving for serving, _, _ in flows) or any(serving != held for serving, held, _ in flows):
        return None
    return flows


def _asleep_untimed(sleep) -> bool:
    return sleep is not None and sleep.state == "S" and sleep.untimed


def _links(transports) -> set[tuple[int, int]] | None:
    """(client port, server port) of each active Transport; None unless each is a quiet client of a kata server."""
    peers = {peer: server for server in sshd.serving() for peer in server.open_peers()}
    links = set()
    for transport in transports:
        addresses = ssh_unclosed.addresses(transport)
        if transport.server_mode or addresses is None or transport.in_kex or not transport.clear_to_send.is_set():
            return None
        local, remote = addresses
        server = peers.get(local)
        if server is None or remote != server.address or transport.packetizer._Packetizer__keepalive_interval:
            return None
        links.add((local[1], remote[1]))
    return links


def _received(transports) -> list[tuple[int, int]]:
    """What each Transport has received so far: packets (their sequence number) and bytes."""
    return [(t.packetizer._Packetizer__sequence_number_in, t.packetizer._Packetizer__received_bytes)
            for t in transports]


def _queues_empty(links: set[tuple[int, int]]) -> bool:
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
