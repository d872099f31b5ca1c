"""``kata grade``: grade a submission, or a folder of submissions, and write the results.

Exit status 0 whenever results were written, whatever the score; 2 when the
grader itself could not run (no such submission, an unknown topic, an output
that cannot be written, a containment level this machine cannot give), with
the reason on stderr.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kata import containment, registry
from kata.grader import atomic, formats
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
    p.add_argument("--memory-limit", type=int, metavar="MIB", default=containment.MEMORY_LIMIT // 1024**2,
                   help="memory cap of each topic's run, in MiB (default %(default)s): for the run as a whole when "
                        "the grader can make a cgroup, and per process always")
    p.add_argument("--containment", choices=("auto", *containment.LEVELS), default="auto",
                   help="how each topic run is walled off (default: auto, the strongest this machine allows; "
                        "see GRADING.md)")
    return p


def contain(requested: str) -> str:
    """The containment level for every run; says on stderr when ``auto`` had to settle for less."""
    level, passed_over = containment.choose(requested)
    if passed_over:
        loud = "WARNING: " if level == "none" else ""
        print(f"kata grade: {loud}containment {level!r}, not stronger: " + "; ".join(passed_over), file=sys.stderr)
    if level == "none":
        print("kata grade: WARNING: the runs share the grader's user and see its files; a hostile submission "
              "can change other results (GRADING.md, 'Containment')", file=sys.stderr)
    return level


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


def write_results(result, output: Path, extra_formats, github: bool = True) -> None:
    """Every requested format, each written atomically; the GitHub files only in single mode."""
    atomic.write_text(output, formats.gradescope(result))
    for name in extra_formats:
        suffix, writer = formats.WRITERS[name]
        atomic.write_text(output.with_suffix(suffix), writer(result))
    if not github:
        return
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
        level = contain(options.containment)
        if options.batch:
            from kata.grader.batch import grade_batch

            return grade_batch(options, topics, level)
        submission = discover(options.path, topics)
    except (SubmissionError, containment.Unavailable) as exc:
        return fail(str(exc))
    result = grade(submission, topics, extra_tests=options.extra_tests, jobs=options.jobs,
                   start_method=options.start_method, topic_limit=options.topic_timeout, containment=level,
                   hide=[options.output.resolve().parent], memory=options.memory_limit * 1024**2)
    try:
        write_results(result, options.output, options.format)
    except OSError as exc:
        return fail(f"could not write the results: {exc}")
    shown = [test for test in result.tests if not test.hidden]  # stdout may be shown to the student (CI logs)
    hidden = " (hidden tests: in the Gradescope results only)" if len(shown) < len(result.tests) else ""
    print(f"{sum(t.score for t in shown):g}/{sum(t.max_score for t in shown):g} points in {result.seconds:.1f} s"
          f"{hidden}; results in {options.output}")
    return 0
