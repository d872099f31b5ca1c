"""Tables in README.md and GRADING.md that are generated from the registry (and the pristine stubs).

Each table sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.
``kata docs`` rewrites them; the self-checks fail when one is out of date.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from kata import registry, trees


def topics_table() -> str:
    rows = ["| # | topic | what you learn | tutorial | tasks |", "| --- | --- | --- | --- | --- |"]
    for number, topic in enumerate(registry.TOPICS, 1):
        rows.append(f"| {number} | [`{topic.name}`](exercises/{topic.name}/README.md) | {topic.title} "
                    f"| {topic.sections} | {len(topic.tasks)} |")
    return "\n".join(rows)


def points_table() -> str:
    from kata.points import topic_points

    rows = ["| topic | task | title | points per test | tests | points |", "| --- | --- | --- | --- | --- | --- |"]
    total = 0
    for topic in registry.TOPICS:
        for task, tests in topic_points(topic.name):
            rows.append(f"| {topic.name} | {task.number} | {task.title} | {task.points} | {tests} "
                        f"| {task.points * tests} |")
            total += task.points * tests
    rows.append(f"| **all** | | | | | **{total}** |")
    return "\n".join(rows)


BLOCKS = {
    "README.md": {"topics": topics_table},
    "GRADING.md": {"points": points_table},
}


def render(text: str, blocks) -> str:
    for name, make in blocks.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(lambda match: match.group(1) + make() + "\n" + match.group(2), text)
    return text


def stale(root: Path = trees.ROOT) -> list[str]:
    """Documents whose generated tables differ from the registry."""
    return [name for name, blocks in BLOCKS.items()
            if render((root / name).read_text(encoding="utf-8"), blocks) != (root / name).read_text(encoding="utf-8")]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale documents; exit 1 if any")
    options = parser.parse_args(argv)
    from kata import pristine

    outdated = stale() + ([str(pristine.ARCHIVE.relative_to(trees.ROOT))] if pristine.stale() else [])
    if options.check:
        for name in outdated:
            print(f"{name} is out of date: run `kata docs`")
        return 1 if outdated else 0
    if pristine.stale():
        pristine.write()
        print(f"rewrote {pristine.ARCHIVE.relative_to(trees.ROOT)} from the stubs")
    for name in stale():
        path = trees.ROOT / name
        path.write_text(render(path.read_text(encoding="utf-8"), BLOCKS[name]), encoding="utf-8")
        print(f"rewrote the generated tables in {name}")
    return 0
