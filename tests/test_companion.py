"""The student's companion: progress, hint, watch and reset, in a throwaway working copy."""
from __future__ import annotations

import os
import re
import pty
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

from kata import pristine, registry, trees
from kata.commands import hint, progress, reset, watch
from kata.commands.progress import TopicProgress
from kata.workcopy import WorkCopy

pytestmark = pytest.mark.timeout(600)  # the end-to-end run starts real pytest processes


@pytest.fixture
def copy(tmp_path) -> WorkCopy:
    """A student's clone: the stubs and tests of every topic, and the project file."""
    root = tmp_path / "kata-clone"
    shutil.copytree(trees.EXERCISES, root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(trees.ROOT / "pyproject.toml", root)
    return WorkCopy(root)


def solve(copy: WorkCopy, topic: str) -> None:
    copy.module(topic).write_bytes(trees.module_path(trees.SOLUTIONS, topic).read_bytes())


def test_the_working_copy_is_found_from_any_folder_inside_it(copy):
    assert WorkCopy.find(copy.exercises / "locks").root == copy.root, (
        f"from exercises/locks WorkCopy.find found {WorkCopy.find(copy.exercises / 'locks').root}, "
        f"expected {copy.root}")


def test_progress_runs_a_topic_once_until_its_module_changes(copy, monkeypatch):
    first = progress.collect(copy, ["locks"])
    assert first[0].passed == 0 and first[0].total > 0 and not first[0].done, (
        f"the untouched stub should have tests, pass none and not be done: {first[0]}")
    assert first[0].first_failure["task"] == 1, f"the stub should first fail in task 1: {first[0].first_failure}"

    def must_not_run(*args, **kwargs):
        raise AssertionError("an unchanged topic was run again")

    monkeypatch.setattr(progress.engine, "run_topic", must_not_run)
    assert progress.collect(copy, ["locks"])[0].passed == 0, "the unchanged topic should keep its recorded 0 passed"
    monkeypatch.undo()
    solve(copy, "locks")
    again = progress.collect(copy, ["locks"])[0]
    assert again.done, f"the solved topic should be green: {again}"


def sample(passed_locks: int) -> list[TopicProgress]:
    failure = {"test": "test_x", "task": 2, "message": "did you call join() inside the start loop?", "output": ""}
    return [TopicProgress("threads", "f", 5, 5, None),
            TopicProgress("locks", "f", passed_locks, 14, None if passed_locks == 14 else failure),
            TopicProgress("gil", "f", 0, 6, failure)]


def test_the_current_topic_is_the_first_not_green_and_next_step_says_what_to_do():
    entries = sample(passed_locks=3)
    assert progress.current(entries).topic == "locks", (
        f"the current topic should be locks, the first not green, not {progress.current(entries).topic}")
    text = progress.next_step(entries)
    assert "Next: locks, task 2" in text and "kata hint locks 2" in text and "join() inside the start loop" in text, (
        f"the next step should name locks, task 2, its hint command and the failure's message:\n{text}")
    assert "pytest exercises/locks" in text, f"the next step should say how to run the topic's tests:\n{text}"
    assert progress.next_step([TopicProgress("locks", "f", 14, 14, None)]).startswith("Every topic is green"), (
        "with every topic done the next step should start 'Every topic is green', it says: "
        f"{progress.next_step([TopicProgress('locks', 'f', 14, 14, None)])!r}")


def test_the_progress_table_marks_done_current_and_todo():
    from rich.console import Console

    console = Console(width=100, no_color=True, record=True, file=open(os.devnull, "w"))
    console.print(progress.table(sample(passed_locks=3)))
    text = console.export_text()
    assert "done" in text and "you are here" in text and "3/14" in text, (
        f"the table should mark the done topic, the current one (you are here) and its 3/14:\n{text}")


def test_hints_come_one_more_at_a_time_and_stop_at_the_last(copy):
    task = registry.get("locks").task(1)
    shown = [hint.reveal(copy, "locks", task) for _ in range(len(task.hints) + 1)]
    assert [len(hints) for hints, _ in shown] == [*range(1, len(task.hints) + 1), len(task.hints)], (
        f"asking {len(shown)} times for {len(task.hints)} hints showed {[len(hints) for hints, _ in shown]} hints")
    assert shown[-1][1] is True and "every hint" in hint.render("locks", task, *shown[-1]), (
        f"after the last hint, reveal should say it was the last ({shown[-1][1]}) and render should say so:\n"
        f"{hint.render('locks', task, *shown[-1])}")


def test_hint_picks_the_task_of_the_first_failing_test(copy):
    copy.save("progress", {"locks": {"first_failure": {"task": 3}}})
    assert hint.resolve_task(copy, "locks", None).number == 3, (
        "hint should pick task 3, the saved first failure's, "
        f"it picked {hint.resolve_task(copy, 'locks', None).number}")
    with pytest.raises(hint.HintError, match="has no task 99"):
        hint.resolve_task(copy, "locks", 99)


def test_reset_restores_the_stub_and_keeps_a_backup(copy):
    solve(copy, "locks")
    backup = reset.reset(copy, "locks", clock=lambda: 0)
    assert copy.module("locks").read_bytes() == trees.module_path(trees.EXERCISES, "locks").read_bytes(), (
        f"after reset, {copy.module('locks')} should be the stub again")
    assert (copy.root / backup).read_bytes() == trees.module_path(trees.SOLUTIONS, "locks").read_bytes(), (
        f"the backup {backup} should hold the solved module as it was before reset")
    with pytest.raises(KeyError, match="no topic named"):
        reset.reset(copy, "nonsense")


def test_the_pristine_stubs_match_the_exercises():
    assert not pristine.stale(), "kata/pristine_stubs.zip differs from the stubs: run `kata docs` and commit it"


def test_watch_shows_the_first_failure_or_the_good_news():
    from rich.console import Console

    console = Console(width=100, no_color=True, record=True, file=open(os.devnull, "w"))
    console.print(watch.render(sample(passed_locks=3)[1]))
    console.print(watch.render(sample(passed_locks=14)[1]))
    text = console.export_text()
    assert "first failure: test_x (task 2)" in text and "kata hint locks 2" in text and "locks is done" in text, (
        f"watch should show the first failure and its hint command, then that locks is done:\n{text}")


def read_until(fd, needle: bytes, seen: bytearray, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen.extend(os.read(fd, 65536))
            except OSError:
                return needle in seen
    return True


def test_watch_reruns_in_a_terminal_when_the_module_changes_and_stops_on_ctrl_c(copy):
    main, child_end = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "kata.cli", "watch", "locks"], cwd=copy.exercises,
                               stdin=child_end, stdout=child_end, stderr=child_end, env=env,
                               start_new_session=True)
    os.close(child_end)
    seen = bytearray()
    try:
        assert read_until(main, b"watching for changes", seen, 120), f"no first run:\n{seen.decode(errors='replace')}"
        assert re.search(rb"locks: 0/\d+ tests pass", seen), f"the stub should pass nothing:\n{seen[-3000:]}"
        for _ in range(24):  # save again now and then, as a student would, until the re-run shows
            solve(copy, "locks")
            if read_until(main, b"locks is done", seen, 5):
                break
        assert b"locks is done" in seen, f"no re-run after the change:\n{seen[-3000:]}"
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 0, (
            f"kata watch exited {process.returncode} after Ctrl-C, expected 0:\n"
            f"{seen[-3000:].decode(errors='replace')}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(main)
