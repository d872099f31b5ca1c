"""Run one topic's tests against one tree in a fresh pytest process.

The child runs in its own process group with a hard time limit, so nothing
the code under test does (hang, crash, os._exit, runaway children) can outlive
the run or take the caller down. Verdicts arrive through the result log, one
line per finished test, so a run cut short keeps every verdict it reached.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kata import results, trees

HARD_LIMIT = 240.0  # seconds for a whole topic, on top of each test's own timeout


@dataclass
class Run:
    topic: str
    records: list[dict]
    returncode: int | None  # None: killed at the hard limit
    output: str = field(repr=False, default="")

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.records if r["outcome"] == "failed"]

    @property
    def passed(self) -> list[dict]:
        return [r for r in self.records if r["outcome"] == "passed"]


def run_topic(topic: str, tree: Path, *, start_method: str | None = None, extra_args=(),
              hard_limit: float = HARD_LIMIT, test_dir: Path | None = None) -> Run:
    test_file = (test_dir or trees.EXERCISES) / topic / f"test_{topic}.py"
    with tempfile.TemporaryDirectory(prefix="kata-run-") as scratch:
        log = Path(scratch) / "results.jsonl"
        command = [sys.executable, "-m", "pytest", str(test_file), "--impl", str(tree), "--kata-log", str(log),
                   "-q", "-p", "no:cacheprovider", "--rootdir", str(trees.ROOT), "-c",
                   str(trees.ROOT / "pyproject.toml"), *extra_args]
        if start_method:
            command += ["--start-method", start_method]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop(trees.ENV_VAR, None)
        child = subprocess.Popen(command, cwd=scratch, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        try:
            output, _ = child.communicate(timeout=hard_limit)
            returncode = child.returncode
        except subprocess.TimeoutExpired:
            returncode = None
            output = b""
        finally:
            _kill_group(child.pid)
            if child.poll() is None:
                child.kill()
            output = output or (child.communicate()[0] or b"")
        return Run(topic, results.read(log), returncode, output.decode("utf-8", "replace"))


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
