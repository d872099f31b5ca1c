"""``kata hint [TOPIC] [TASK]``: one more hint each time you ask.

Without TOPIC, the hint is for the topic you are on (the first one not yet
green); a topic that is already green passes the question on to the next one
that is not. Without TASK, it is for the task of the topic's first failing
test, from a fresh run when the module changed since the last one, or task 1.
"""
from __future__ import annotations

import argparse
import sys

from kata import registry
from kata.commands import progress, screen
from kata.workcopy import WorkCopy


class HintError(Exception):
    pass


def topic_named(name: str) -> registry.Topic:
    try:
        return registry.get(name)
    except KeyError as exc:
        raise HintError(exc.args[0]) from None


def resolve_task(copy: WorkCopy, topic_name: str | None, number: int | None) -> tuple[str, registry.Task, str]:
    """The topic and task to hint at, and a note when that is not the topic asked for."""
    if number is not None:
        topic = topic_named(topic_name) if topic_name else None
        if topic is None:
            raise HintError("give the topic too: kata hint TOPIC TASK")
        return topic.name, _task(topic, number), ""
    asked = topic_named(topic_name).name if topic_name else None
    names = registry.names()
    for name in names[names.index(asked):] if asked else names:
        entry = progress.collect(copy, [name])[0]  # runs the topic only if it changed since its last run
        if not entry.done:
            note = f"{asked} is green already: on to {name}" if asked and name != asked else ""
            task = (entry.first_failure or {}).get("task") or topic_named(name).tasks[0].number
            return name, _task(topic_named(name), task), note
    raise HintError(f"{asked} and every topic after it are green: nothing left to hint at" if asked
                    else "every topic is green: nothing left to hint at. Well done!")


def _task(topic: registry.Topic, number: int) -> registry.Task:
    try:
        return topic.task(number)
    except KeyError:
        numbers = ", ".join(str(task.number) for task in topic.tasks)
        raise HintError(f"{topic.name} has no task {number}; its tasks are {numbers}") from None


def reveal(copy: WorkCopy, topic: str, task: registry.Task) -> tuple[list[str], bool]:
    """The hints shown so far, one more than last time, and whether that was the last one."""
    seen = copy.load("hints")
    key = f"{topic}:{task.number}"
    level = min(seen.get(key, 0) + 1, len(task.hints))
    seen[key] = level
    copy.save("hints", seen)
    return list(task.hints[:level]), level == len(task.hints)


def render(topic: str, task: registry.Task, hints: list[str], last: bool) -> str:
    lines = [f"{topic}, task {task.number}: {task.title}"]
    lines += [f"  hint {number}: {text}" for number, text in enumerate(hints, 1)]
    lines.append("  that is every hint for this task; the README's task section has the rest"
                 if last else f"  (ask again for hint {len(hints) + 1} of {len(task.hints)})")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata hint", description=__doc__)
    parser.add_argument("topic", nargs="?")
    parser.add_argument("task", nargs="?", type=int)
    options = parser.parse_args(argv)
    copy = WorkCopy.find()
    console = screen.console()
    try:
        with console.status("running the topic's tests...", spinner="dots"):
            topic, task, note = resolve_task(copy, options.topic, options.task)
    except HintError as exc:
        print(screen.wrap(f"kata hint: {exc}"), file=sys.stderr)
        return 2
    if note:
        screen.show(console, note, style="dim")
    if not task.hints:
        screen.show(console, f"{topic}, task {task.number} has no hints yet: see {topic}'s README")
        return 0
    hints, last = reveal(copy, topic, task)
    screen.show(console, render(topic, task, hints, last))
    return 0
