"""``kata list``: the topics in teaching order, from the registry."""
from __future__ import annotations

import argparse

from kata import registry, trees
from kata.commands import screen


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="kata list", description=__doc__).parse_args(argv)
    for number, topic in enumerate(registry.TOPICS, 1):
        line = f"{number:2}. {topic.name:<13} {topic.title}  [tutorial {topic.sections}]"
        if len(line) > screen.WIDTH:  # the tutorial's sections go on a line of their own
            line = f"{number:2}. {topic.name:<13} {topic.title}\n{'':17}[tutorial {topic.sections}]"
        print(line)
        for task in topic.tasks:
            print(f"      task {task.number}: {task.title}")
    print(f"\nstart with: pytest exercises/{registry.TOPICS[0].name}\nlessons:    {trees.readme_path('<topic>')}")
    return 0
