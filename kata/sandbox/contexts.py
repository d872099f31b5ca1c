"""The multiprocessing context that lives in the sandbox, for tests that hand the module one.

A test asks for ``mp_context`` as in one process; under ``--sandbox`` it gets a
proxy of a real context of the run's start method made in the sandbox, so the
module's children, and the Events, Queues and Locks a test makes with it, are
the sandbox's. The judge counts those children from the sandbox's process tree
(psutil), never from what the sandbox says.

Under spawn and forkserver a context starts helper processes of its own the
first time it needs them (the resource tracker, the fork server); ``serve``
starts them at once, when the sandbox starts, so that no test counts them as
children it left behind.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import resource_tracker

METHODS = frozenset({"fork", "spawn", "forkserver"})


def serve(method: str):
    """Sandbox side: the real context of ``method``, its helper processes already running."""
    if method not in METHODS:
        raise ValueError(f"{method!r} is not a start method")
    context = multiprocessing.get_context(method)
    if method != "fork":
        resource_tracker.ensure_running()
    if method == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
    return context


def context(method: str):
    """Judge side: the sandbox's context of ``method`` (a proxy), from the sandbox this test runs against."""
    from kata.sandbox import session

    return session.current().context(method)
