"""What crosses the sandbox's boundary as an exception: builtins and a few standard-library errors by class."""
from __future__ import annotations

import queue
import threading

import pytest

from kata.sandbox import wire


def crossed(exc: BaseException) -> BaseException:
    return wire.decode_error(wire.encode_error(exc))


@pytest.mark.parametrize("kind", [queue.Empty, queue.Full, threading.BrokenBarrierError])
def test_a_standard_library_error_arrives_as_its_own_class(kind):
    arrived = crossed(kind("nothing there"))
    assert type(arrived) is kind and str(arrived) == "nothing there", (
        f"{kind.__name__} raised in the sandbox arrived as {type(arrived).__name__}: {arrived}; "
        f"expected {kind.__module__}.{kind.__qualname__} itself, so that `except` catches it as in one process")


def test_a_lookalike_error_of_the_code_under_test_stays_a_remote_error():
    Empty = type("Empty", (Exception,), {"__module__": "kata.impl.queues.queues"})
    arrived = crossed(Empty("mine"))
    assert not isinstance(arrived, queue.Empty) and isinstance(arrived, wire.RemoteError), (
        f"a class named Empty from the code under test arrived as {type(arrived)!r}; expected a RemoteError, "
        "not queue.Empty: only the standard library's own class crosses as itself")
