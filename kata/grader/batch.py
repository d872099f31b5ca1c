"""``kata grade --batch DIR``: every folder in DIR is one submission.

Submissions are graded in parallel (one per core, each grading its topics one
at a time), with a progress line on stderr, one results.json per submission
and a CSV of scores. Whatever happens to one submission, every submission gets
a result (at worst every test at zero, saying why) and the CSV is written.
"""
from __future__ import annotations

import csv
import io
import os
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed

from kata.grader import atomic
from kata.grader.grade import Grade, failed_topic, grade
from kata.grader.submission import SubmissionError, discover


def progress(done: int, total: int, name: str) -> None:
    width = 30
    filled = width * done // total
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:30]:<30}",
          end="" if done < total else "\n", file=sys.stderr, flush=True)


def grade_batch(options, topics: list[str], level: str = "none") -> int:
    if not options.path.is_dir():
        raise SubmissionError(f"--batch {options.path}: no such folder")
    folders = sorted(p for p in options.path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise SubmissionError(f"--batch {options.path}: no submission folders in it")
    from kata.grader import write_results

    out = options.output if options.output.suffix != ".json" else options.output.with_suffix("")
    out.mkdir(parents=True, exist_ok=True)
    hide = [options.path.resolve(), out.resolve()]  # other submissions and other results
    if level == "uid" and options.path.stat().st_mode & 0o005:
        print(f"kata grade: WARNING: {options.path} can be read by other users, so a run at the uid level can "
              "read the other submissions in it: make it 0700", file=sys.stderr)
    rows, unwritten = [], []

    def one(folder):
        try:
            result = grade(discover(folder, topics), topics, extra_tests=options.extra_tests, jobs=1,
                           start_method=options.start_method, topic_limit=options.topic_timeout,
                           containment=level, hide=hide, memory=options.memory_limit * 1024**2)
        except Exception as exc:  # the grader's own failure: this submission scores zero and says why
            why = f"the grader could not grade this submission: {type(exc).__name__}: {exc}"
            result = Grade(str(folder), [failed_topic(topic, why, options.extra_tests) for topic in topics],
                           containment=level)
        try:
            write_results(result, out / f"{folder.name}.json", options.format, github=False)
        except OSError as exc:
            unwritten.append(f"{folder.name}: {exc}")
        return folder.name, result

    progress(0, len(folders), "")
    with ThreadPoolExecutor(max_workers=options.jobs or os.cpu_count() or 2) as pool:
        futures = [pool.submit(one, folder) for folder in folders]
        for done, future in enumerate(as_completed(futures), 1):
            name, result = future.result()
            rows.append([name, f"{result.score:g}", f"{result.max_score:g}"]
                        + [f"{topic.score:g}" for topic in result.topics])
            progress(done, len(folders), name)
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["submission", "score", "max_score", *topics])
    writer.writerows(sorted(rows))
    atomic.write_text(out / "scores.csv", table.getvalue())
    for line in unwritten:
        print(f"kata grade: could not write the results of {line}", file=sys.stderr)
    print(f"graded {len(rows)} submissions; results and scores.csv in {out}")
    return 2 if unwritten else 0
