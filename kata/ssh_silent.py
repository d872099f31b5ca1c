"""A login to a host that never answers cannot give up before the test's bound: the client set no deadline.

A kata.sshd.SilentListener accepts TCP connections and never sends a byte, so an
SSH client connected to it waits for the server's banner. paramiko's Transport
thread reads that banner in a loop of 0.1 s polls (``Packetizer._read_timeout``)
until ``banner_timeout`` has passed since it began; the caller waits in
``Transport.start_client``, in polls of 0.1 s too, until the Transport ends or the
negotiation's own ``timeout`` (None from ``SSHClient.connect``: no deadline) runs
out. The polls keep the stall detector from seeing a stall; what the threads are
in says when they can end. ``gives_up_after()`` proves, from the threads' own
frames, in this order:

1. every live paramiko Transport of this process is a client whose peer is the
   silent listener, and its thread reads the banner (``_check_banner``, its first
   line): that read ends at the ``start + timeout`` of its own frame, unless a byte
   or the connection's end comes (the listener sends none, and closes only when
   the test ends), or the Transport is closed (by a thread of the code under test:
   step 2);
2. each of the code under test's threads (kata.ssh_stuck.their_threads) is in
   ``Transport.start_client``'s wait, which ends when the Transport does, or at the
   ``max_time`` of its own frame (none without a timeout);
3. this process has no child but multiprocessing's helpers (none shares the socket);
4. ``CONFIRM`` later, the same frames are there with the same deadlines: the waits
   went on throughout.

Then the call returns no sooner than the nearest of those deadlines. When that is
past the test's bound, the wait may end now, as if the bound had run out. Anything
else (a thread elsewhere, a Transport past the banner, a connection that is not
the silent listener's) is no proof: the test waits for its bound.
"""
from __future__ import annotations

import math
import threading
import time

import paramiko
import paramiko.packet

from kata import bounds, ssh_stuck, ssh_unclosed, stall_tree
from kata.frames import other_threads_frames

CONFIRM = ssh_stuck.CONFIRM  # how long the waits must stay the same for a proof

_START_CLIENT = paramiko.Transport.start_client.__code__
_CHECK_BANNER = paramiko.Transport._check_banner.__code__
_READ_TIMEOUT = paramiko.packet.Packetizer._read_timeout.__code__


def wait(worker, silent, timeout: float = bounds.HANG) -> float | None:
    """Wait for ``worker`` (kata.workers.Worker) to finish, as ``worker.finished(timeout)`` does.

    While it waits, a thread of its own looks for a proof that the call, logging in to ``silent``
    (a kata.sshd.SilentListener), cannot return within ``timeout`` (``gives_up_after``); once it has
    one, it ends the wait: how many seconds after the start the call would give up at the soonest
    (math.inf: never). None otherwise (the call finished, or the bound ran out: ``worker.done`` tells).
    """
    waiter = threading.current_thread()
    started = time.monotonic()
    deadline = started + timeout

    def prove():
        ends = gives_up_after(silent.address, waiter)
        return ends - started if ends is not None and ends > deadline else None

    return ssh_stuck.watched(worker, timeout, prove, "kata-ssh-silent")


def gives_up_after(address: tuple, waiter: threading.Thread) -> float | None:
    """When (time.monotonic()) the code under test's login to ``address`` ends at the soonest, or None
    without a proof that it cannot end sooner (the module's proof).

    ``waiter``: the kata's thread that waits for the code under test (it only waits).
    """
    first = _waits(address, waiter)
    if first is None:
        return None
    time.sleep(CONFIRM)
    second = _waits(address, waiter)
    if second is None or second[0] != first[0]:
        return None
    return min(second[1])


def _waits(address: tuple, waiter: threading.Thread) -> tuple | None:
    """The frames the waits are in and their deadlines (time.monotonic()); None unless every Transport
    reads the silent banner and every thread of the code under test waits for one in start_client."""
    theirs = ssh_stuck.their_threads(waiter)
    transports = [t for t in threading.enumerate() if isinstance(t, paramiko.Transport) and t.is_alive()]
    if not theirs or not transports or not _no_children():
        return None
    frames = other_threads_frames()
    natives = {thread.native_id: thread.ident for thread in threading.enumerate()}
    seen, deadlines = [], []
    for transport in transports:
        addresses = ssh_unclosed.addresses(transport)
        if transport.server_mode or addresses is None or tuple(addresses[1]) != tuple(address):
            return None
        frame = _reading_the_banner(frames.get(transport.ident))
        if frame is None:
            return None
        start, timeout = frame.f_locals.get("start"), frame.f_locals.get("timeout")
        if not isinstance(start, float) or not isinstance(timeout, (int, float)):
            return None
        seen.append((id(frame), start))
        deadlines.append(start + timeout - time.time() + time.monotonic())
    for tid in theirs:
        frame = _innermost(frames.get(natives.get(tid)), _START_CLIENT)
        if frame is None:
            return None
        max_time = frame.f_locals.get("max_time")
        if max_time is not None and not isinstance(max_time, float):
            return None
        seen.append((id(frame), max_time))
        deadlines.append(math.inf if max_time is None else max_time - time.time() + time.monotonic())
    return seen, deadlines


def _reading_the_banner(frame):
    """The ``_read_timeout`` frame of a Transport thread reading the banner's first line, or None."""
    read = _innermost(frame, _READ_TIMEOUT)
    if read is None:
        return None
    caller = read.f_back.f_back if read.f_back is not None else None  # readline, then _check_banner
    if caller is None or caller.f_code is not _CHECK_BANNER or caller.f_locals.get("i") != 0:
        return None
    return read


def _innermost(frame, code):
    """The frame running ``code`` at the top of the stack (only threading's waits above it)."""
    while frame is not None:
        if frame.f_code is code:
            return frame
        if frame.f_code.co_filename != threading.__file__:
            return None  # something else runs above it
        frame = frame.f_back
    return None


def _no_children() -> bool:
    tree = stall_tree.descendants()
    return tree is not None and not set(tree) - stall_tree.multiprocessing_helpers(tree)

