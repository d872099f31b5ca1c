"""``kata watch [TOPIC]``: re-run a topic's tests whenever you save a file in it.

Without TOPIC it starts with the topic you are on (the first one not yet
green) and then follows the topic whose file you save. A save made while the
tests run stops that run and starts again with the new file. Ctrl-C stops it.
"""
from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from kata import registry
from kata.commands import progress, screen, stopping
from kata.workcopy import WorkCopy


def render(entry: progress.TopicProgress) -> Group:
    """What the screen shows after one run of a topic."""
    head = Text(f"{entry.topic}: {entry.passed}/{entry.total} tests pass", style="bold")
    if entry.done:
        return Group(head, Text(f"{entry.topic} is done. On to the next topic!", style="green"))
    failure = entry.first_failure or {}
    task = failure.get("task")
    body = Text(failure.get("output") or failure.get("message") or "")
    title = f"first failure: {failure.get('test', '?')}" + (f" (task {task})" if task else "")
    hint = f"stuck? kata hint {entry.topic}" + (f" {task}" if task else "")
    return Group(head, Panel(body, title=Text(title), title_align="left"), Text(hint, style="dim"))


def topics_changed(copy: WorkCopy, batch) -> list[str]:
    """The topics, in teaching order, with a file in ``batch`` (watchfiles' set of (change, path))."""
    touched = set()
    for _, path in batch:
        try:
            touched.add(Path(path).resolve().relative_to(copy.exercises.resolve()).parts[0])
        except (ValueError, IndexError):
            continue
    return [name for name in registry.names() if name in touched]


class TopicRun:
    """One run of a topic's tests in a thread of its own, so that the main thread can stop it."""

    def __init__(self, copy: WorkCopy, topic: str | None) -> None:
        self.topic = topic  # None: the first topic not yet green
        self.fingerprint = copy.fingerprint(topic) if topic else None  # of the files it tests
        self.entry: progress.TopicProgress | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(copy,), name="kata-watch-run", daemon=True)
        self._thread.start()

    def _run(self, copy: WorkCopy) -> None:
        try:
            self.entry = (progress.collect(copy, [self.topic])[0] if self.topic
                          else progress.first_unfinished(copy) or progress.collect(copy, registry.names()[-1:])[0])
        except BaseException as exc:  # shown by the main thread
            self.error = exc

    def finished(self, timeout: float = 0) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        stopping.stop_runs(self.finished)


def file_changes(folder):
    """Batches of changes under folder, an empty batch every fraction of a second when there are none.

    The watcher starts before the first run and keeps collecting while the
    tests run, so a save made during a run is not lost. It runs in this (the
    main) thread, where it sees Ctrl-C at once.
    """
    from watchfiles import watch

    watcher = watch(folder, yield_on_timeout=True, rust_timeout=200, debounce=400)
    next(watcher)  # returns after the first timeout: the watcher is running
    yield from watcher


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata watch", description=__doc__)
    parser.add_argument("topic", nargs="?")
    options = parser.parse_args(argv)
    if options.topic:
        try:
            registry.get(options.topic)
        except KeyError as exc:
            print(screen.wrap(f"kata watch: {exc.args[0]}"), file=sys.stderr)
            return 2
    copy = WorkCopy.find()
    console = screen.console()
    stopping.ctrl_c_stops()
    run = None
    try:
        changes = file_changes(copy.exercises)  # watching before the first run starts
        run = _start(console, copy, options.topic)
        for batch in changes:
            changed = topics_changed(copy, batch)
            if options.topic:
                changed = [name for name in changed if name == options.topic]
            if changed and not _already_testing(copy, run, changed[0]):
                if run is not None and not run.finished():
                    run.stop()  # its verdicts are about a file that is gone
                run = _start(console, copy, changed[0])
            elif run is not None and run.finished():
                _show(console, run)
                run = None
    except KeyboardInterrupt:
        if run is not None:
            run.stop()
        return 0
    return 0


def _already_testing(copy: WorkCopy, run: TopicRun | None, topic: str) -> bool:
    """Whether ``run`` is still testing ``topic`` as it is now (a save that changed nothing)."""
    return (run is not None and run.topic == topic and run.fingerprint == copy.fingerprint(topic)
            and not run.finished())


def _start(console, copy: WorkCopy, topic: str | None) -> TopicRun:
    console.clear()
    screen.show(console, f"running {topic or 'the topic you are on'}...", style="dim")
    return TopicRun(copy, topic)


def _show(console, run: TopicRun) -> None:
    console.clear()
    if run.error is not None:
        screen.show(console, f"kata watch: the run failed: {type(run.error).__name__}: {run.error}")
    else:
        console.print(render(run.entry))
    screen.show(console, "watching for changes (Ctrl-C to stop)", style="dim")
