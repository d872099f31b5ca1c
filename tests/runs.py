"""Every engine run the self-checks need, started together and shared.

The topic runs are independent subprocesses; running them two at a time keeps
both cores busy, which is also the loaded machine the verdicts must survive.
"""
from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from kata import engine, registry, trees
from tests.catalogue import all_cases


class Runs:
    def __init__(self, topics) -> None:
        topics = set(topics)
        # Mistake runs spend most of their time waiting out hang bounds, not computing:
        # two runs per core keep the cores busy without starving them.
        self._pool = ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2), thread_name_prefix="selfcheck")
        self._scratch = tempfile.TemporaryDirectory(prefix="kata-mistakes-")
        self._futures: dict[tuple, Future] = {}
        # Mistakes first: they take longest (they pay the hang bounds).
        for topic, mistake in all_cases():
            if topic not in topics:
                continue
            solution = trees.module_path(trees.SOLUTIONS, topic)
            self._submit(("mistake", topic, mistake.name), self._mistake_run, topic, mistake, solution)
        for topic in registry.names():
            if topic not in topics:
                continue
            self._submit(("solutions", topic), engine.run_topic, topic, trees.SOLUTIONS)
            self._submit(("stubs", topic), engine.run_topic, topic, trees.EXERCISES)

    def _submit(self, key, fn, *args) -> None:
        self._futures[key] = self._pool.submit(fn, *args)

    def _mistake_run(self, topic, mistake, solution: Path) -> engine.Run:
        tree = mistake.build(topic, solution, Path(self._scratch.name))
        return engine.run_topic(topic, tree, start_method=mistake.start_method)

    def get(self, *key) -> engine.Run:
        return self._futures[key].result()

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True)
        self._scratch.cleanup()
