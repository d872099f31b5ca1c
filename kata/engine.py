"""Run one topic's tests against one tree in a fresh pytest process.

The child runs in its own process group, under a memory cap and a hard time
limit, so nothing the code under test does (hang, crash, os._exit, a flood of
output, runaway or escaped children) can outlive the run or take the caller
down. Verdicts arrive through the result log, one line per finished test, so a
run cut short keeps every verdict it reached.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from kata import results, trees

HARD_LIMIT = 240.0  # seconds for a whole topic, on top of each test's own timeout
MEMORY_LIMIT = 4 * 1024**3  # bytes of address space for the pytest child and its children
OUTPUT_TAIL = 8000  # characters of pytest's own output kept for diagnosis
RUN_ID_VAR = "KATA_RUN_ID"


@dataclass
class Run:
    topic: str
    records: list[dict]
    returncode: int | None  # None: killed at the hard limit
    output: str = field(repr=False, default="")
    collected: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.records if r["outcome"] == "failed"]

    @property
    def passed(self) -> list[dict]:
        return [r for r in self.records if r["outcome"] == "passed"]

    @property
    def unfinished(self) -> list[str]:
        finished = {r["nodeid"] for r in self.records}
        return [nodeid for nodeid in self.collected if nodeid not in finished]


def run_topic(topic: str, tree: Path, *, start_method: str | None = None, extra_args=(),
              hard_limit: float = HARD_LIMIT, test_files: list[Path] | None = None) -> Run:
    tests = test_files or [trees.EXERCISES / topic / f"test_{topic}.py"]
    run_id = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="kata-run-") as scratch:
        log, output_file = Path(scratch) / "results.jsonl", Path(scratch) / "pytest.out"
        command = [sys.executable, "-m", "pytest", *map(str, tests), "--impl", str(tree), "--kata-log", str(log),
                   "-q", "-p", "no:cacheprovider", "-p", "kata.pytest_plugin", "--show-capture=no",
                   "--rootdir", str(trees.ROOT), "-c", str(trees.ROOT / "pyproject.toml"), *extra_args]
        if start_method:
            command += ["--start-method", start_method]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", RUN_ID_VAR: run_id}
        env.pop(trees.ENV_VAR, None)
        with open(output_file, "wb") as output:
            child = subprocess.Popen(command, cwd=scratch, env=env, stdout=output, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=_cap_memory)
            try:
                returncode = child.wait(timeout=hard_limit)
            except subprocess.TimeoutExpired:
                returncode = None
            finally:
                _kill_group(child.pid)
                _kill_escaped(run_id)
                child.wait()
        collected, records = results.read(log)
        return Run(topic, records, returncode, _tail(output_file), collected)


def _cap_memory() -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ValueError, OSError):
        pass


def _tail(path: Path) -> str:
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(size - OUTPUT_TAIL, 0))
        text = file.read().decode("utf-8", "replace")
    return text if size <= OUTPUT_TAIL else f"[... {size - OUTPUT_TAIL} earlier bytes of output cut]\n{text}"


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_escaped(run_id: str) -> None:
    """Kill processes that left the group (setsid, double fork) but still carry the run's mark."""
    marked = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(RUN_ID_VAR) == run_id:
                marked.append(process)
                process.kill()
        except (psutil.Error, OSError):
            continue
    psutil.wait_procs(marked, timeout=5)
