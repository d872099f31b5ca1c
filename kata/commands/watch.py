"""``kata watch [TOPIC]``: re-run a topic's tests whenever a file in it changes.

Without TOPIC it follows the current topic (the first one not yet green) and
moves on by itself when that topic turns green. Ctrl-C stops it.
"""
from __future__ import annotations

import argparse
import signal
import sys

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from kata import registry
from kata.commands import progress
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
    return Group(head, Panel(body, title=title, title_align="left"), Text(hint, style="dim"))


def choose(copy: WorkCopy, topic: str | None) -> str:
    """The topic to run: the one asked for, else the first that is not green."""
    if topic:
        return topic
    now = progress.current(progress.collect(copy))
    return now.topic if now else registry.names()[-1]


def file_changes(folder):
    """Batches of changes under folder, watched from the first call on.

    The watcher starts before the first run and keeps collecting while the
    tests run, so a save made during a run is not lost. It runs in this (the
    main) thread, where it sees Ctrl-C at once.
    """
    from watchfiles import watch

    watcher = watch(folder, yield_on_timeout=True, rust_timeout=200)
    next(watcher)  # returns after the first timeout: the watcher is running
    yield set()
    for batch in watcher:
        if batch:
            yield batch


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata watch", description=__doc__)
    parser.add_argument("topic", nargs="?")
    options = parser.parse_args(argv)
    if options.topic and options.topic not in registry.names():
        print(f"kata watch: no topic named {options.topic!r}; the topics are: {', '.join(registry.names())}",
              file=sys.stderr)
        return 2
    copy = WorkCopy.find()
    console = Console()
    # Ctrl-C must stop the watch even when the shell that started us ignores SIGINT
    # (as non-interactive shells do for background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    changes = file_changes(copy.exercises)
    try:
        next(changes)  # start watching before the first run
        while True:
            topic = choose(copy, options.topic)
            console.clear()
            console.print(f"running {topic}...", style="dim")
            entry = progress.run(copy, topic)
            console.clear()
            console.print(render(entry))
            console.print("watching for changes (Ctrl-C to stop)", style="dim")
            if next(changes, None) is None:
                return 0
    except KeyboardInterrupt:
        return 0
