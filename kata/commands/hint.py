"""``kata hint TOPIC [TASK]``: one more hint each time you ask.

Without TASK, the hint is for the task of the topic's first failing test (as
``kata progress`` last saw it), or task 1.
"""
from __future__ import annotations

import argparse
import sys

from rich.console import Console

from kata import registry
from kata.workcopy import WorkCopy


class HintError(Exception):
    pass


def resolve_task(copy: WorkCopy, topic_name: str, number: int | None) -> registry.Task:
    try:
        topic = registry.get(topic_name)
    except KeyError as exc:
        raise HintError(exc.args[0]) from None
    if number is None:
        failure = (copy.load("progress").get(topic_name) or {}).get("first_failure") or {}
        number = failure.get("task") or topic.tasks[0].number
    try:
        return topic.task(number)
    except KeyError:
        numbers = ", ".join(str(task.number) for task in topic.tasks)
        raise HintError(f"{topic_name} has no task {number}; its tasks are {numbers}") from None


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
    parser.add_argument("topic")
    parser.add_argument("task", nargs="?", type=int)
    options = parser.parse_args(argv)
    copy = WorkCopy.find()
    try:
        task = resolve_task(copy, options.topic, options.task)
    except HintError as exc:
        print(f"kata hint: {exc}", file=sys.stderr)
        return 2
    if not task.hints:
        print(f"{options.topic}, task {task.number} has no hints yet: see {options.topic}'s README")
        return 0
    hints, last = reveal(copy, options.topic, task)
    Console().print(render(options.topic, task, hints, last), highlight=False)
    return 0
