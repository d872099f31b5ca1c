"""The sandbox process: it imports a topic module from the selected tree and serves it.

Started by the judge (``kata.sandbox.session``) as ``python -m kata.sandbox.process``
with a clean environment and an empty working directory; it learns where the
judge's bridge is from one line of JSON on stdin, so its command line and
environment name no result log, output path or grader state.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import Pyro5.api

from kata import seam, trees
from kata.sandbox import bridge

MODULE_PREFIX = "module:"


@Pyro5.api.expose
class SandboxBridge(bridge.Bridge):
    def load(self, topic: str):
        """The topic's module as a token, or the seam's message on why it cannot be imported."""
        try:
            module = seam.load(str(topic))
        except seam.TopicImportError as exc:
            return "err", str(exc)
        token = MODULE_PREFIX + str(topic)
        self._registry.pin(token, module)
        return "ok", ["R", token, "module"]

    def reset(self) -> None:
        """Forget every object the last test was handed; the modules stay loaded."""
        self._registry.clear()

    def threads(self) -> list:
        """Each live thread as [native id, name, daemon]: names for messages, daemon-ness for the leak check."""
        return [[t.native_id, t.name, t.daemon] for t in threading.enumerate() if t.native_id is not None]


def main() -> None:
    config = json.loads(sys.stdin.readline())
    sys.stdin.close()
    trees.select(Path(config["tree"]))
    if config.get("start_method"):
        os.environ["KATA_START_METHOD"] = config["start_method"]
    registry = bridge.Registry()
    judge = bridge.Peer(config["judge"], registry, bridge.JudgeObject)
    server = SandboxBridge(registry, lambda: judge, bridge.SANDBOX_OPS, mirror_name=True)

    def report(args) -> None:
        error = args.exc_value
        try:
            judge.invoke(config["report"], "call", "",
                         (args.thread.name if args.thread else "?", *bridge.wire.encode_error(error)))
        except Exception:  # the judge is gone; nothing is left to tell
            pass

    threading.excepthook = report
    daemon = Pyro5.api.Daemon(unixsocket=config["socket"])
    daemon.register(server, "bridge")
    daemon.requestLoop()


if __name__ == "__main__":
    main()
