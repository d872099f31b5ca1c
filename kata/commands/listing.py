"""``kata list``: the topics in teaching order, from the registry."""
from __future__ import annotations

import argparse

from kata import registry, trees


def main(argv: list[str]) -> int:
    argparse.ArgumentParser(prog="kata list", description=__doc__).parse_args(argv)
    for number, topic in enumerate(registry.TOPICS, 1):
        print(f"{number:2}. {topic.name:<14} {topic.title}  [tutorial {topic.sections}]")
        for task in topic.tasks:
            print(f"      task {task.number}: {task.title}")
    print(f"\nstart with: pytest exercises/{registry.TOPICS[0].name}   (lessons: {trees.readme_path('<topic>')})")
    return 0
