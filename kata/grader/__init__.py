"""``kata grade``: grade a submission, or a folder of submissions, and write the results.

Exit status 0 whenever results were written, whatever the score; 2 when the
grader itself could not run (no such submission, an unknown topic, an output
that cannot be written), with the reason on stderr.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kata import registry
from kata.grader import formats
from kata.grader.grade import TOPIC_LIMIT, grade
from kata.grader.submission import SubmissionError, discover


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kata grade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", type=Path, help="a submission (or, with --batch, a folder of submissions)")
    p.add_argument("--output", type=Path, default=Path("results.json"),
                   help="Gradescope results.json to write (with --batch: a folder, one result per submission)")
    p.add_argument("--topics", help="comma-separated topics to grade (default: all)")
    p.add_argument("--extra-tests", type=Path, metavar="DIR",
                   help="hidden tests: DIR/<topic>/test_*.py, run beside the kata's own (visible after publishing)")
    p.add_argument("--format", action="append", default=[], choices=sorted(formats.WRITERS),
                   help="also write this format beside --output (repeatable)")
    p.add_argument("--start-method", choices=("fork", "forkserver", "spawn"))
    p.add_argument("--topic-timeout", type=float, default=TOPIC_LIMIT,
                   help=f"hard limit in seconds for each topic's run (default {TOPIC_LIMIT:g})")
    p.add_argument("--jobs", type=int, help="topics (with --batch: submissions) graded at once (default: cores)")
    p.add_argument("--batch", action="store_true", help="PATH holds one submission per folder; grade them all")
    return p


def fail(message: str) -> int:
    print(f"kata grade: {message}", file=sys.stderr)
    return 2


def chosen_topics(spec: str | None) -> list[str]:
    if not spec:
        return registry.names()
    topics = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in topics if name not in registry.names()]
    if unknown:
        raise SubmissionError(f"unknown topic(s) {', '.join(unknown)}; the topics are: {', '.join(registry.names())}")
    return topics


def write_results(result, output: Path, extra_formats) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(formats.gradescope(result), encoding="utf-8")
    for name in extra_formats:
        suffix, writer = formats.WRITERS[name]
        output.with_suffix(suffix).write_text(writer(result), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if "markdown" in extra_formats and summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(formats.markdown(result))
    github_output = os.environ.get("GITHUB_OUTPUT")
    if "classroom" in extra_formats and github_output:
        with open(github_output, "a", encoding="utf-8") as file:
            file.write(formats.classroom_output(result))


def main(argv: list[str]) -> int:
    options = parser().parse_args(argv)
    try:
        topics = chosen_topics(options.topics)
        if options.extra_tests is not None and not options.extra_tests.is_dir():
            raise SubmissionError(f"--extra-tests {options.extra_tests}: no such folder")
        if options.batch:
            from kata.grader.batch import grade_batch

            return grade_batch(options, topics)
        submission = discover(options.path, topics)
    except SubmissionError as exc:
        return fail(str(exc))
    result = grade(submission, topics, extra_tests=options.extra_tests, jobs=options.jobs,
                   start_method=options.start_method, topic_limit=options.topic_timeout)
    try:
        write_results(result, options.output, options.format)
    except OSError as exc:
        return fail(f"could not write the results: {exc}")
    print(f"{result.score:g}/{result.max_score:g} points in {result.seconds:.1f} s; results in {options.output}")
    return 0
