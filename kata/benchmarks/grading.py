"""``kata bench grading``: how long ``kata grade`` takes for one submission and for a batch.

Grades the reference solutions as a student's submission, the way a teacher
runs the grader: one submission with the default ``--jobs`` (one topic per
core), the same submission on one lane (``--jobs 1``), and a batch of copies
of it (one submission per core). It prints the wall times, the scores and
the containment level, and sets the batch against what one lane predicts:
a batch of N on C cores should take about N / C times the one-lane figure.
Run it on a quiet machine; the load average is printed beside the figures.
No test asserts on them.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kata import registry, trees


def submission_from_solutions(folder: Path, topics: list[str]) -> Path:
    folder.mkdir(parents=True)
    for topic in topics:
        shutil.copy(trees.SOLUTIONS / topic / f"{topic}.py", folder / f"{topic}.py")
    return folder


def grade(args: list[str]) -> float:
    """Wall time of one ``kata grade`` run; a run that does not write its results stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kata.cli", "grade", *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"kata grade {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def single_score(results: Path) -> tuple[float, float, str]:
    data = json.loads(results.read_text())
    got = sum(test["score"] for test in data["tests"])
    full = sum(test["max_score"] for test in data["tests"])
    return got, full, data.get("extra_data", {}).get("containment", "?")


def batch_scores(folder: Path) -> list[str]:
    with open(folder / "scores.csv", newline="") as table:
        return [f"{row['submission']} {row['score']}/{row['max_score']}" for row in csv.DictReader(table)]


def load() -> str:
    return " ".join(f"{figure:.1f}" for figure in os.getloadavg())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata bench grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", default=",".join(registry.names()), help="comma-separated (default: all)")
    parser.add_argument("--batch", type=int, default=4, help="submissions in the batch (default 4)")
    options = parser.parse_args(argv)
    topics = options.topics.split(",")
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="kata-bench-grading-") as scratch:
        root = Path(scratch)
        one = submission_from_solutions(root / "submission", topics)
        print(f"{len(topics)} topics, {cores} cores; load average before: {load()}")

        default = grade([str(one), "--topics", options.topics, "--output", str(root / "default.json")])
        got, full, level = single_score(root / "default.json")
        print(f"one submission, default --jobs:  {default:6.1f} s   {got:g}/{full:g}   containment {level}")

        lane = grade([str(one), "--topics", options.topics, "--jobs", "1", "--output", str(root / "lane.json")])
        got, full, _ = single_score(root / "lane.json")
        print(f"one submission, --jobs 1:        {lane:6.1f} s   {got:g}/{full:g}")

        batch = root / "batch"
        for index in range(options.batch):
            shutil.copytree(one, batch / f"student-{index + 1}")
        together = grade([str(batch), "--batch", "--topics", options.topics, "--output", str(root / "graded")])
        predicted = lane * options.batch / cores
        print(f"a batch of {options.batch}:                {together:6.1f} s   "
              f"({options.batch} / {cores} cores x one lane = {predicted:.1f} s, ratio {together / predicted:.2f})")
        print("   " + ", ".join(batch_scores(root / "graded")))
        print(f"load average after: {load()}")
    return 0
