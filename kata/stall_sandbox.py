"""The stall proof across the sandbox: the judge reads the sandbox's threads from /proc, as it reads a child's.

Under ``--sandbox`` a test's thread that calls the code under test sleeps in a
socket read until the sandbox replies, and the judge's server threads sleep in
one until the sandbox calls back. Such a read counts as a wait that only the
tree can end when the judge knows (from its own bridge, kata.sandbox.bridge)
that the socket's far side is the sandbox, and the sandbox itself cannot move:
every thread of its Python process sleeps in a futex wait whose deadline the
kernel holds, or in a socket read (bubblewrap leaves it no network, so its
sockets reach the judge alone, whose threads are all proven asleep too), or
is its main thread, where the kata's server loop waits for connections and no
code under test runs. Nothing the sandbox says about itself enters the proof;
without containment the sandbox's sockets could reach anywhere, and no such
read counts.
"""
from __future__ import annotations

import math
import sys

from kata.stall_tree import Sleep


def sandbox_pid() -> int | None:
    """The contained sandbox's Python process, if a sandbox is running."""
    session = sys.modules.get("kata.sandbox.session")  # imported only by --sandbox
    sandbox = session.running() if session is not None else None
    if sandbox is None:
        return None
    from kata.sandbox import containment

    return sandbox.pid if containment.contained() else None


def judge_threads_on_the_sandbox() -> frozenset[int]:
    """The judge's threads whose socket read only the sandbox can end (none without a contained sandbox)."""
    if sandbox_pid() is None:
        return frozenset()
    from kata.sandbox import bridge

    return bridge.asleep_on_the_other_side()


def judge_threads_serving() -> frozenset[int]:
    """The judge's server threads inside a call from the sandbox: a test's work, however old the thread."""
    session = sys.modules.get("kata.sandbox.session")
    if session is None or session.running() is None:
        return frozenset()
    from kata.sandbox import bridge

    return bridge.serving_now()


def sandbox_thread_stuck(pid: int, tid: int, sleep: Sleep) -> bool:
    """Whether a thread of the sandbox's Python process sleeps in a wait only the tree can end."""
    if sleep.state != "S":
        return False
    if tid == pid:  # its main thread: the kata's server loop
        return True
    return sleep.socket or (sleep.futex and sleep.deadline is not None)


def deadline(sleep: Sleep) -> float:
    """When a proven wait of the sandbox ends by itself (inf: never)."""
    return sleep.deadline if sleep.futex and sleep.deadline is not None else math.inf
