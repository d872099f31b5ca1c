"""``kata reset TOPIC``: put a topic's stub back, keeping your file as a backup."""
from __future__ import annotations

import argparse
import sys
import time

from kata import pristine, registry
from kata.commands import screen
from kata.workcopy import WorkCopy


def reset(copy: WorkCopy, topic: str, clock=time.time) -> str | None:
    """Restore the stub; return where the student's file was saved (None if there was none)."""
    registry.get(topic)  # an unknown name raises KeyError with the topics it might have meant
    module = copy.module(topic)
    backup = None
    if module.is_file():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
        target = copy.state_dir / "backups" / f"{topic}-{stamp}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(module.read_bytes())
        backup = str(target.relative_to(copy.root))
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_bytes(pristine.stub(topic))
    return backup


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata reset", description=__doc__)
    parser.add_argument("topic")
    options = parser.parse_args(argv)
    copy = WorkCopy.find()
    try:
        backup = reset(copy, options.topic)
    except KeyError as exc:
        print(screen.wrap(f"kata reset: {exc.args[0]}"), file=sys.stderr)
        return 2
    where = f"; your version is saved as {backup}" if backup else ""
    print(f"exercises/{options.topic}/{options.topic}.py is the stub again{where}")
    return 0
