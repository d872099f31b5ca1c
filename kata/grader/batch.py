"""``kata grade --batch DIR``: every folder in DIR is one submission.

Submissions are graded in parallel (one per core, each grading its topics one
at a time), with a progress line on stderr, one results.json per submission
and a CSV of scores.
"""
from __future__ import annotations

import csv
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

from kata.grader.grade import grade
from kata.grader.submission import SubmissionError, discover


def progress(done: int, total: int, name: str) -> None:
    width = 30
    filled = width * done // total
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:30]:<30}",
          end="" if done < total else "\n", file=sys.stderr, flush=True)


def grade_batch(options, topics: list[str]) -> int:
    if not options.path.is_dir():
        raise SubmissionError(f"--batch {options.path}: no such folder")
    folders = sorted(p for p in options.path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise SubmissionError(f"--batch {options.path}: no submission folders in it")
    from kata.grader import write_results

    out = options.output if options.output.suffix != ".json" else options.output.with_suffix("")
    out.mkdir(parents=True, exist_ok=True)
    rows = []

    def one(folder):
        result = grade(discover(folder, topics), topics, extra_tests=options.extra_tests, jobs=1,
                       start_method=options.start_method, topic_limit=options.topic_timeout)
        write_results(result, out / f"{folder.name}.json", options.format)
        return folder.name, result

    progress(0, len(folders), "")
    with ThreadPoolExecutor(max_workers=options.jobs or os.cpu_count() or 2) as pool:
        futures = [pool.submit(one, folder) for folder in folders]
        for done, future in enumerate(as_completed(futures), 1):
            name, result = future.result()
            rows.append([name, f"{result.score:g}", f"{result.max_score:g}"]
                        + [f"{topic.score:g}" for topic in result.topics])
            progress(done, len(folders), name)
    with open(out / "scores.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["submission", "score", "max_score", *topics])
        writer.writerows(sorted(rows))
    print(f"graded {len(rows)} submissions; results and scores.csv in {out}")
    return 0
