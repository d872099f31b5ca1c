"""``kata progress`` (and bare ``kata``): where you are in the kata and what to do next.

A topic's tests run again only when its module or its tests changed since the
last run; everything else comes from ``.kata/progress.json``.
"""
from __future__ import annotations

import argparse
import os
from concurrent import futures
from dataclasses import asdict, dataclass

from rich.table import Table

from kata import engine, registry, trees
from kata.commands import screen, stopping
from kata.points import marked_tasks
from kata.workcopy import WorkCopy


@dataclass
class TopicProgress:
    topic: str
    fingerprint: str
    passed: int
    total: int
    first_failure: dict | None  # {"test", "task", "message"} of the first failing test, in file order
    cut_short: bool = False  # the run was killed (Ctrl-C, a newer save): its verdicts are not kept

    @property
    def done(self) -> bool:
        return self.total > 0 and self.passed == self.total


def run(copy: WorkCopy, topic: str) -> TopicProgress:
    fingerprint = copy.fingerprint(topic)  # of the files this run tests, even if they change meanwhile
    result = engine.run_topic(topic, copy.exercises, test_files=[copy.test_file(topic)])
    by_id = {record["nodeid"]: record for record in result.records}
    order = result.collected or list(by_id)
    first = None
    for nodeid in order:
        record = by_id.get(nodeid)
        if record is None or record["outcome"] != "passed":
            name = nodeid.split("::")[-1].split("[", 1)[0]
            task = marked_tasks(copy.test_file(topic)).get(name)
            message = record["message"] if record else "this test never finished"
            first = {"test": nodeid.split("::")[-1], "task": task, "message": message,
                     "output": record["output"] if record else result.output[-2000:]}
            break
    passed = sum(1 for nodeid in order if by_id.get(nodeid, {}).get("outcome") == "passed")
    killed = result.returncode is not None and result.returncode < 0
    return TopicProgress(topic, fingerprint, passed, len(order), first, cut_short=killed)


def collect(copy: WorkCopy, topics=None, jobs: int | None = None) -> list[TopicProgress]:
    """Progress of every topic, running only the topics that changed since last time."""
    topics = topics or registry.names()
    cache = copy.load("progress")
    known, stale = {}, []
    for topic in topics:
        entry = cache.get(topic)
        if entry and entry.get("fingerprint") == copy.fingerprint(topic):
            known[topic] = TopicProgress(**entry)
        else:
            stale.append(topic)
    with futures.ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        runs = [pool.submit(run, copy, topic) for topic in stale]
        try:
            for fresh in (done.result() for done in runs):
                known[fresh.topic] = fresh
        except BaseException:  # Ctrl-C: end every run now, not when the pool has worked through them
            for pending in runs:
                pending.cancel()
            stopping.stop_runs(lambda timeout: not futures.wait(runs, timeout).not_done)
            raise
    kept = [topic for topic in stale if not known[topic].cut_short]
    if kept:
        cache = copy.load("progress")  # another command may have saved meanwhile
        cache.update({topic: asdict(known[topic]) for topic in kept})
        copy.save("progress", cache)
    return [known[topic] for topic in topics]


def first_unfinished(copy: WorkCopy, start: str | None = None) -> TopicProgress | None:
    """The first topic (from ``start`` on, in teaching order) that is not green, running no more topics than needed."""
    names = registry.names()
    for name in names[names.index(start):] if start else names:
        entry = collect(copy, [name])[0]
        if not entry.done:
            return entry
    return None


def current(progress: list[TopicProgress]) -> TopicProgress | None:
    """The first topic, in teaching order, that is not all green."""
    return next((entry for entry in progress if not entry.done), None)


def table(progress: list[TopicProgress]) -> Table:
    now = current(progress)
    grid = Table(title="concurrency-kata", title_justify="left")
    grid.add_column("#", justify="right")
    grid.add_column("topic")
    grid.add_column("tests", justify="right")
    grid.add_column("")
    for number, entry in enumerate(progress, 1):
        if entry.done:
            mark, style = "done", "green"
        elif entry is now:
            mark, style = "<- you are here", "bold yellow"
        else:
            mark, style = "", "dim"
        grid.add_row(str(number), entry.topic, f"{entry.passed}/{entry.total}", mark, style=style)
    return grid


def next_step(progress: list[TopicProgress]) -> str:
    now = current(progress)
    if now is None:
        return "Every topic is green. Well done!"
    failure = now.first_failure or {}
    task = failure.get("task")
    lines = [f"Next: {now.topic}, task {task}" if task else f"Next: {now.topic}",
             f"  read   {trees.readme_path(now.topic)}" + (f"  (## Task {task})" if task else ""),
             f"  edit   exercises/{now.topic}/{now.topic}.py",
             f"  test   pytest exercises/{now.topic}"]
    if failure:
        lines.insert(1, f"  first failing test: {failure['test']}")
        lines.insert(2, f"    {failure['message'].splitlines()[0][:160] if failure['message'] else ''}")
    lines.append(f"  stuck? kata hint {now.topic}" + (f" {task}" if task else ""))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata progress", description=__doc__)
    parser.parse_args(argv)
    stopping.ctrl_c_stops()
    copy = WorkCopy.find()
    console = screen.console()
    try:
        with console.status("running the topics that changed...", spinner="dots"):
            progress = collect(copy)
    except KeyboardInterrupt:
        screen.show(console, "kata progress: stopped")
        return 130
    console.print(table(progress))
    screen.show(console, next_step(progress))
    return 0
