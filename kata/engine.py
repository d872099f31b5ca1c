"""Run one topic's tests against one tree in a fresh pytest process.

The child runs contained (kata.containment: its own process group at least;
namespaces or a uid of its own where the machine allows), under memory and
process caps and a hard time limit, so nothing the code under test does (hang,
crash, os._exit, a flood of output, runaway or escaped children) can outlive
the run or take the caller down. Verdicts arrive through the result log, one
line per finished test, so a run cut short keeps every verdict it reached.

A run's interface is ``kata.runner`` (pytest, arguments on stdin) wrapped by a
containment plan's ``command``; a process that must share the run's walls (a
sandbox for the module under test) is started from inside that command.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kata import results, trees
from kata.containment import MEMORY_LIMIT, Plan
from kata.text import printable

HARD_LIMIT = 240.0  # seconds for a whole topic, on top of each test's own timeout
OUTPUT_TAIL = 8000  # characters of pytest's own output kept for diagnosis


@dataclass
class Run:
    topic: str
    records: list[dict]
    returncode: int | None  # None: killed at the hard limit
    output: str = field(repr=False, default="")
    collected: list[str] = field(default_factory=list)
    containment: str = "none"  # the level the run was held at (kata.containment)
    limits: str = ""  # the memory and process caps it ran under, in words

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
              hard_limit: float = HARD_LIMIT, test_files: list[Path] | None = None,
              containment: str = "none", hide=(), memory: int | None = None) -> Run:
    """Run ``topic``'s tests (the kata's own, or ``test_files``) against ``tree``'s module for it.

    The run gets a scratch folder of its own holding a copy of the topic's
    module, copies of any test files from outside the kata (hidden tests) and
    its result log; ``containment`` (a level of kata.containment, already
    chosen) walls it off; ``hide`` lists grader paths it must not see.
    """
    tests = test_files or [trees.EXERCISES / topic / f"test_{topic}.py"]
    scratch = Path(tempfile.mkdtemp(prefix="kata-run-"))
    try:
        copied_tree, copied_tests = _lay_out(scratch, topic, Path(tree), tests)
        log = scratch / "log" / "results.jsonl"
        args = [*map(str, copied_tests), "--impl", str(copied_tree), "--kata-log", str(log),
                "-q", "-p", "no:cacheprovider", "-p", "kata.pytest_plugin", "--show-capture=no",
                "--rootdir", "/", "-c", str(trees.ROOT / "pyproject.toml"), *extra_args]
        if start_method:
            args += ["--start-method", start_method]
        plan = Plan(containment, scratch, hide=[Path(p) for p in hide], memory=memory or MEMORY_LIMIT,
                    judge_only="--sandbox" in extra_args)
        try:
            with tempfile.TemporaryFile() as output:  # outside the run's scratch: it only holds the descriptor
                child = subprocess.Popen(plan.command([sys.executable, "-m", "kata.runner"]), cwd=plan.work,
                                         env=plan.environment(), stdin=subprocess.PIPE, stdout=output,
                                         stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=plan.enter)
                try:
                    child.stdin.write(json.dumps(args).encode())
                    child.stdin.close()
                except OSError:  # the run died before reading its arguments
                    pass
                try:
                    returncode = child.wait(timeout=hard_limit)
                except subprocess.TimeoutExpired:
                    returncode = None
                finally:
                    _kill_group(child.pid)
                    child.wait()
                tail = _tail(output)
        finally:
            plan.end()
        collected, records = results.read(log)
        originals = {str(copied): Path(original) for copied, original in zip(copied_tests, tests)}
        collected = [_as_given(nodeid, originals) for nodeid in collected]
        for record in records:
            record["nodeid"] = _as_given(record["nodeid"], originals)
            for key in ("message", "output"):  # the student knows their module as <topic>/<topic>.py
                record[key] = record[key].replace(f"{copied_tree}/", "")
        return Run(topic, records, returncode, tail, collected, plan.level, plan.limits)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def node_file(test_file: Path) -> str:
    """How a test file is named in the node ids of a Run: relative to the kata's root, else its own path."""
    test_file = Path(test_file).resolve()
    return str(test_file.relative_to(trees.ROOT)) if _inside(test_file, trees.ROOT) else str(test_file)


def _as_given(nodeid: str, originals: dict[str, Path]) -> str:
    """A node id of the run (rooted at /, naming copies) as the caller knows its test file."""
    file, separator, rest = nodeid.partition("::")
    seen = "/" + file
    return node_file(originals.get(seen, Path(seen))) + separator + rest if file else nodeid


def _lay_out(scratch: Path, topic: str, tree: Path, tests: list[Path]) -> tuple[Path, list[Path]]:
    """Copy what the run may see into its scratch: the topic's module, and tests from outside the kata."""
    copied_tree = scratch / "tree"
    module = trees.module_path(tree, topic)
    target = trees.module_path(copied_tree, topic)
    target.parent.mkdir(parents=True)
    if module.is_file():
        shutil.copyfile(module, target)
    (scratch / "log").mkdir()
    copied_tests = []
    for index, test in enumerate(map(Path, tests)):
        if _inside(test, trees.ROOT):
            copied_tests.append(test.resolve())
            continue
        copy = scratch / "tests" / str(index) / test.name
        copy.parent.mkdir(parents=True)
        shutil.copyfile(test, copy)
        copied_tests.append(copy)
    return copied_tree, copied_tests


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _tail(file) -> str:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(max(size - OUTPUT_TAIL, 0))
    text = printable(file.read().decode("utf-8", "replace"))
    return text if size <= OUTPUT_TAIL else f"[... {size - OUTPUT_TAIL} earlier bytes of output cut]\n{text}"


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
