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


@pytest.fixture
def judge_bridge(tmp_path):
    """A judge-side bridge daemon like the sandbox's session runs, with one callable handed out."""
    import Pyro5.api

    from kata.sandbox import bridge

    calls = []
    registry = bridge.Registry()
    registry.pin("probe", lambda: calls.append("called") or "ran")
    peer = bridge.Peer(f"PYRO:bridge@./u:{tmp_path / 'unused.sock'}", registry, bridge.JudgeObject)
    daemon = Pyro5.api.Daemon(unixsocket=str(tmp_path / "judge.sock"))
    uri = daemon.register(bridge.Bridge(registry, lambda: peer, bridge.JUDGE_OPS), "bridge")
    server = threading.Thread(target=daemon.requestLoop, name="judge bridge of the wire test", daemon=True)
    server.start()
    try:
        yield uri, calls
    finally:
        daemon.shutdown()
        server.join(10)
        daemon.close()


@pytest.mark.parametrize("serializer", ["marshal", "serpent"])
def test_a_message_in_another_serializer_is_refused_unread(judge_bridge, serializer):
    import Pyro5.api
    import Pyro5.errors

    uri, calls = judge_bridge
    with Pyro5.api.Proxy(uri) as control:
        status, _ = control.invoke("probe", "call", "", ["L", []], ["D", []], ["t", 1, 1, 1, False, True])
    assert status == "ok" and calls == ["called"], (
        f"a JSON call to the judge's bridge answered {status!r} and ran the callable {len(calls)} time(s); "
        "expected it to run once: the check below would prove nothing")
    with Pyro5.api.Proxy(uri) as hostile:
        hostile._pyroSerializer = serializer
        try:
            hostile.invoke("probe", "call", "", ["L", []], ["D", []], ["t", 1, 1, 1, False, True])
        except Pyro5.errors.PyroError:
            pass  # refused, as it must be
        else:
            pytest.fail(f"the judge's bridge answered a call sent in {serializer}; expected it to refuse "
                        "every message not in JSON")
    assert calls == ["called"], (
        f"a call the sandbox sent in {serializer} reached the judge's objects; expected it to be refused "
        "before it is read: Pyro5 reads a message with whatever serializer its header names, and marshal "
        "must never read what an untrusted process wrote")


def test_a_lone_surrogate_crosses_as_it_was_sent():
    from kata.sandbox import bridge  # noqa: F401  (installs the kata's JSON)
    import Pyro5.serializers

    text = "a\udc80b\x1b\x00"
    serializer = Pyro5.serializers.serializers["json"]
    arrived = serializer.loads(serializer.dumps(["ok", text]))
    assert arrived == ["ok", text], (
        f"the string {text!r} crossed the bridge as {arrived!r}; expected it unchanged: a message with a lone "
        "surrogate (which UTF-8 cannot encode) must still reach the other side")
