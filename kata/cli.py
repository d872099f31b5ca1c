"""The ``kata`` command. Each subcommand lives in its own module, imported only when used."""
from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with main(argv) -> int, one-line help)
COMMANDS = {
    "progress": ("kata.commands.progress", "where you are and what to do next (the default)"),
    "hint": ("kata.commands.hint", "one more hint for the task you are on: kata hint [TOPIC] [TASK]"),
    "watch": ("kata.commands.watch", "re-run the tests of the topic whose file you save"),
    "reset": ("kata.commands.reset", "put a topic's stub back, keeping yours as a backup"),
    "list": ("kata.commands.listing", "the topics in teaching order, with their tasks"),
    "docs": ("kata.docs", "rewrite the tables in README.md and GRADING.md from the registry"),
    "bench": ("kata.benchmarks",
              "run a benchmark: `kata bench topics`, `gil`, `grading`, `mistakes`, `mutation` or `sandbox`"),
    "grade": ("kata.grader", "grade a submission and write results.json"),
    "sshd": ("kata.sshd", "start the kata's SSH server in the foreground, to try by hand"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="kata", description="concurrency-kata: learn processes and threads")
    parser.add_argument("command", choices=sorted(COMMANDS), help="; ".join(
        f"{name}: {about}" for name, (_, about) in COMMANDS.items()))
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv[:1] or ["progress"])
    module_name, _ = COMMANDS[options.command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"kata {options.command}: not available in this version", file=sys.stderr)
        return 2
    try:
        return module.main(argv[1:]) or 0
    except KeyboardInterrupt:  # Ctrl-C: the command has stopped what it started; no traceback
        return 130


if __name__ == "__main__":
    sys.exit(main())
