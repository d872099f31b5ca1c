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

import psutil
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


def fresh(copy: WorkCopy, topic: str, passed: int, total: int, task: int | None) -> dict:
    """A progress entry as a run of the copy's current files would save it."""
    failure = {"test": "test_x", "task": task, "message": "m", "output": ""} if task else None
    return {"topic": topic, "fingerprint": copy.fingerprint(topic), "passed": passed, "total": total,
            "first_failure": failure}


def test_hint_picks_the_task_of_the_first_failing_test(copy, monkeypatch):
    copy.save("progress", {"locks": fresh(copy, "locks", 2, 14, task=3)})
    monkeypatch.setattr(progress.engine, "run_topic", lambda *a, **k: pytest.fail("an unchanged topic was run"))
    topic, task, _ = hint.resolve_task(copy, "locks", None)
    assert (topic, task.number) == ("locks", 3), (
        f"hint should pick locks, task 3, the saved first failure's; it picked {topic}, task {task.number}")
    with pytest.raises(hint.HintError, match="has no task 99"):
        hint.resolve_task(copy, "locks", 99)


def test_hint_reads_fresh_results_not_a_stale_progress_file(copy):
    stale = {**fresh(copy, "locks", 2, 14, task=3), "fingerprint": "of a file that is gone"}
    copy.save("progress", {"locks": stale})
    topic, task, _ = hint.resolve_task(copy, "locks", None)
    assert (topic, task.number) == ("locks", 1), (
        "the saved progress is for an older file (task 3); the stub as it is now first fails in task 1, "
        f"but hint picked {topic}, task {task.number}")


def test_hint_moves_on_past_a_topic_that_is_green(copy, monkeypatch):
    copy.save("progress", {"locks": fresh(copy, "locks", 14, 14, task=None),
                           "gil": fresh(copy, "gil", 1, 6, task=2)})
    monkeypatch.setattr(progress.engine, "run_topic", lambda *a, **k: pytest.fail("an unchanged topic was run"))
    topic, task, note = hint.resolve_task(copy, "locks", None)
    assert (topic, task.number) == ("gil", 2) and "green already" in note, (
        f"locks is green and gil, next, fails in task 2: hint should move on to gil, task 2 and say why; "
        f"it picked {topic}, task {task.number} ({note!r})")


def test_hint_text_with_brackets_is_shown_as_written_in_80_columns(copy, monkeypatch, capsys):
    monkeypatch.chdir(copy.root)
    monkeypatch.setenv("COLUMNS", "80")
    task = registry.get("process_locks").task(2)
    assert any("[p.exitcode for p in processes]" in text for text in task.hints), (
        "the test needs a hint with brackets; process_locks task 2 no longer has one")
    for _ in task.hints:
        assert hint.main(["process_locks", "2"]) == 0, "kata hint process_locks 2 should succeed"
    shown = capsys.readouterr().out
    assert "[p.exitcode for p in processes]" in " ".join(shown.split()), (
        f"the hint's [p.exitcode for p in processes] was not shown as written (taken for markup?):\n{shown}")
    wide = [line for line in shown.splitlines() if len(line) > 80]
    assert not wide, f"kata hint printed lines wider than 80 columns:\n" + "\n".join(wide)


def test_an_unknown_topic_gets_did_you_mean(copy, monkeypatch, capsys):
    monkeypatch.chdir(copy.root)
    for command in (hint, watch, reset):
        assert command.main(["lcoks"]) == 2, f"kata {command.__name__.split('.')[-1]} lcoks should exit 2"
        said = capsys.readouterr().err
        assert "did you mean 'locks'?" in said, (
            f"kata {command.__name__.split('.')[-1]} lcoks should ask \"did you mean 'locks'?\"; it said: {said}")


def test_progress_and_watch_fit_80_columns():
    from rich.console import Console

    from kata.commands import screen

    long = {"test": "test_" + "very_" * 12 + "long", "task": 2,
            "message": "called f(); " + "the workers ran one after another " * 6, "output": "x " * 200}
    entries = [TopicProgress("threads", "f", 5, 5, None), TopicProgress("process_locks", "f", 0, 9, long)]
    console = Console(width=80, no_color=True, record=True, file=open(os.devnull, "w"))
    console.print(progress.table(entries))
    screen.show(console, progress.next_step(entries))
    console.print(watch.render(entries[1]))
    text = console.export_text()
    wide = [line for line in text.splitlines() if len(line) > 80]
    assert not wide, "kata progress / watch printed lines wider than 80 columns:\n" + "\n".join(wide)
    assert "the workers ran one after another" in text, f"the failure message should be shown:\n{text}"


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


SPINS_AT_IMPORT = "while True:\n    pass\n"
SPINS_IN_A_TEST = ("        self.value = 0\n", "        self.value = 0\n        while True:\n            pass\n")


def spoil(copy: WorkCopy, topic: str, how) -> None:
    """Give the copy a module that spins: at import (a string appended to the stub) or in a test (an edit
    of the solution's source)."""
    if isinstance(how, str):
        copy.module(topic).write_text(copy.module(topic).read_text() + how)
    else:
        solution = trees.module_path(trees.SOLUTIONS, topic).read_text()
        assert how[0] in solution, f"the edit no longer applies to {topic}'s solution: {how[0]!r}"
        copy.module(topic).write_text(solution.replace(how[0], how[1], 1))


class Terminal:
    """A kata command in a pseudo-terminal of 80 columns, as a student would run it."""

    def __init__(self, copy: WorkCopy, *command: str) -> None:
        self.main, child_end = pty.openpty()
        env = {**os.environ, "COLUMNS": "80", "LINES": "40", "TERM": "xterm"}
        self.process = subprocess.Popen([sys.executable, "-m", "kata.cli", *command], cwd=copy.exercises,
                                        stdin=child_end, stdout=child_end, stderr=child_end, env=env,
                                        start_new_session=True)
        os.close(child_end)
        self.seen = bytearray()
        self.root = str(copy.root)

    def wait_for(self, needle: bytes, timeout: float = 120) -> bool:
        return read_until(self.main, needle, self.seen, timeout)

    def text(self, last: int = 3000) -> str:
        return self.seen[-last:].decode(errors="replace")

    def ctrl_c(self, timeout: float = 20) -> int | None:
        """Send Ctrl-C as a terminal does (to the foreground process group); the exit status, or None."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        read_until(self.main, b"\0", self.seen, 0.5)  # whatever it printed on the way out
        return status

    def left_running(self) -> list[str]:
        """Processes still running for this copy: a topic run names it on its command line, and whatever
        runs the copy's modules has it in its environment."""
        found = []
        for process in psutil.process_iter(["pid", "cmdline", "environ"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            tree = (process.info["environ"] or {}).get(trees.ENV_VAR, "")
            if (self.root in cmdline or tree.startswith(self.root)) and process.pid != self.process.pid:
                found.append(f"{process.pid}: {cmdline[:200]}")
        return found

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.main)


RUN_MARKS = {"pytest", "kata.runner"}  # a topic run: pytest itself, or the engine's runner that starts it


def running_children(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.parametrize("command", ["watch", "progress"])
@pytest.mark.parametrize("how", [SPINS_AT_IMPORT, SPINS_IN_A_TEST], ids=["spins-at-import", "spins-in-a-test"])
def test_ctrl_c_ends_everything_at_once_the_first_time(copy, command, how):
    spoil(copy, "locks", how)
    terminal = Terminal(copy, command, *(["locks"] if command == "watch" else []))
    try:
        assert terminal.wait_for(b"running", 60), f"kata {command} never said it was running:\n{terminal.text()}"
        deadline = time.monotonic() + 60
        while not [p for p in running_children(terminal.process.pid) if RUN_MARKS & set(p.cmdline())]:
            assert time.monotonic() < deadline, f"kata {command} started no pytest run:\n{terminal.text()}"
            time.sleep(0.05)
        status = terminal.ctrl_c()
        assert status is not None, (
            f"kata {command} was still running 20 s after one Ctrl-C during a run that spins; "
            f"expected it to stop the run and exit at once:\n{terminal.text()}")
        assert status in (0, 130), f"kata {command} exited {status} after Ctrl-C, expected 0 or 130"
        assert b"Traceback" not in terminal.seen, f"Ctrl-C printed a traceback:\n{terminal.text()}"
        assert not terminal.left_running(), (
            f"after Ctrl-C, kata {command} left its run going:\n" + "\n".join(terminal.left_running()))
    finally:
        terminal.close()


def test_watch_stops_a_run_when_the_file_changes_again_and_follows_the_saved_topic(copy):
    terminal = Terminal(copy, "watch")
    try:
        assert terminal.wait_for(b"watching for changes"), f"no first run:\n{terminal.text()}"
        assert b"processes: 0/" in terminal.seen, (
            f"with every topic a stub, watch should start with the first topic, processes:\n{terminal.text()}")
        spoil(copy, "locks", SPINS_IN_A_TEST)
        assert terminal.wait_for(b"running locks", 60), (
            f"after a save in exercises/locks, watch should run locks:\n{terminal.text()}")
        mark = len(terminal.seen)
        solve(copy, "locks")  # saved while the spinning run is still going
        assert terminal.wait_for(b"locks is done", 120), (
            f"the save of a solution during a run should stop that run and test the new file:\n{terminal.text()}")
        between = bytes(terminal.seen[mark:])
        assert b"locks: 0/" not in between, (
            "watch showed the spinning run's verdict before the new file's; expected the newer save to stop it:\n"
            f"{between.decode(errors='replace')[-3000:]}")
        assert terminal.ctrl_c() == 0, f"kata watch did not exit 0 on Ctrl-C:\n{terminal.text()}"
        assert not terminal.left_running(), "kata watch left runs going:\n" + "\n".join(terminal.left_running())
    finally:
        terminal.close()


def test_list_fits_80_columns(capsys):
    from kata.commands import listing

    assert listing.main([]) == 0, "kata list should succeed"
    shown = capsys.readouterr().out
    wide = [line for line in shown.splitlines() if len(line) > 80]
    assert not wide, "kata list printed lines wider than 80 columns:\n" + "\n".join(wide)
    assert all(f"[tutorial {topic.sections}]" in shown for topic in registry.TOPICS), (
        f"kata list should give every topic's tutorial sections:\n{shown}")
