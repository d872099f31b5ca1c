"""A client connection to a kata SSH server that nothing is left to close, proven at once.

The ssh tests check, once the code under test has returned, that the server saw
every connection closed. A correct client closes before it returns: paramiko's
``Transport.close()`` marks the transport inactive first thing (``stop_thread``),
then closes its socket, so a closed client is never ``is_active()`` again, even
while the server is still hearing about it. A connection is proven never to be
closed when, at one moment:

- an active client ``paramiko.Transport`` holds a socket connected to the server,
  whose local address is the client address of one of the server's open connections;
- no thread of this process (as /proc lists them: threading's own list misses some) is
  left but the caller, paramiko's Transports, the servers' loops (kata.sshd), the stall
  detector, the kata's other watchers (``WATCHERS``), and the threads that were there
  before any code under test was imported
  (pytest's, xdist's): none of them calls ``close()`` on a client, and none of them starts
  a thread that could (a Transport's own thread closes its transport only when the server
  ends the connection, which the kata's server does only when it shuts down, after the test);
- after ``gc.collect()``: no unreachable object is left to close it in a finalizer.

From then on nobody can close that socket, so waiting for the server to see it
closed would only run out the bound. Anything else (another thread, a server-mode
Transport, a socket whose address cannot be read) is no proof: the test waits.
"""
from __future__ import annotations

import gc
import threading
import time
import weakref

import paramiko

from kata import bounds, sshd, stall, stall_tree

POLL = 0.1  # how often a wait for the server to see a close looks again for a proof that none will come

# The kata's threads that look for the ssh proofs while the code under test runs (kata.ssh_stuck's,
# kata.ssh_idle's): they read /proc and the servers, end a kata wait or a gate's hold, and close no client.
WATCHERS: weakref.WeakSet = weakref.WeakSet()


def wait_closed(server, timeout: float = bounds.HANG) -> list[paramiko.Transport] | None:
    """Wait until ``server`` sees every connection closed: [].

    As soon as clients are proven never to close their connections, those clients' Transports
    (``never_closed``); None when the bound runs out first, without a proof.
    """
    deadline = time.monotonic() + timeout
    while not server.wait_for_connections(0, 0):
        proven = never_closed(server)
        if proven:
            return proven
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if server.wait_for_connections(0, min(POLL, left)):
            break
    return []


def never_closed(server) -> list[paramiko.Transport]:
    """The client Transports holding one of ``server``'s open connections that nothing can close any more.

    Empty when that cannot be proven (a close may be in flight).
    """
    if not _candidates(server):
        return []  # cheap first: a correct client leaves none, and need not wait for a collection
    gc.collect()  # finalizers of unreachable objects run now, in this thread, or never
    return _candidates(server)


def _candidates(server) -> list[paramiko.Transport]:
    threads = threading.enumerate()
    transports = [thread for thread in threads if isinstance(thread, paramiko.Transport)]
    known = known_threads(threads)
    natives = native_threads()
    if natives is None or any(t.server_mode for t in transports):
        return []
    listed = {thread.native_id: thread for thread in threads}
    for tid, started in natives.items():
        if listed.get(tid) not in known and not infrastructure(tid, started):
            return []  # a thread that may close one (threading's list misses _thread.start_new_thread's)
    peers = server.open_peers()
    return [transport for transport in transports
            if transport.is_active() and addresses(transport) in ((local, server.address) for local in peers)]


def known_threads(threads) -> set[threading.Thread]:
    """Of ``threads``, those that close no client: the caller, paramiko's Transports, the servers', the detector,
    the kata's watchers."""
    return {threading.current_thread(), *(t for t in threads if isinstance(t, paramiko.Transport)),
            *sshd.loop_threads(), *stall.own_threads(), *WATCHERS}


def infrastructure(tid: int, started: int | None) -> bool:
    """Whether thread ``tid`` (started at ``started``, /proc's clock ticks) was there before any code under test."""
    return started is not None and _INFRASTRUCTURE.get(tid) == started


def addresses(transport: paramiko.Transport) -> tuple[tuple, tuple] | None:
    """The (local, remote) addresses of the transport's socket; None when it has none (closed, or no socket)."""
    try:
        return tuple(transport.sock.getsockname()[:2]), tuple(transport.sock.getpeername()[:2])
    except (AttributeError, OSError):
        return None


def native_threads() -> dict[int, int] | None:
    """Every thread of this process, as /proc lists them: native id -> when it started (clock ticks)."""
    ticks = {tid: stall_tree.started(tid) for tid in stall.thread_ids()}
    found = {tid: when for tid, when in ticks.items() if when is not None}  # one that ended can close nothing
    return found or None


# The threads alive when the test modules were collected, before any code under test was imported:
# pytest's and xdist's own (execnet starts its I/O thread with _thread, so threading does not list it).
_INFRASTRUCTURE = native_threads() or {}
