"""Run a topic's verdicts many times, optionally with both cores kept busy.

    python -m tests.stress locks --runs 50 --load            # solutions, then every catalogued mistake
    python -m tests.stress locks --runs 50 --only solutions --start-method spawn -n 2
    python -m tests.stress queues --runs 50 --load --focus    # each mistake: only the tests that name it
    python -m tests.stress pools --runs 1 --cpu-count 16      # the machine says 16 cores (1, ...): same verdicts

Prints, per tree, how many runs gave the expected verdict: solutions must pass
every run, each mistake must fail every run, its first failure naming it (with
--focus: the full calibration run's first failure; the focused runs then need
only some failure that names it).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from kata import engine, trees
from tests.catalogue import mistakes
from tests.test_first_failure import first_failure, shown


@contextmanager
def busy_cores(count: int):
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


FAKE_CPUS = Path(__file__).parent / "fake_cpus"  # a sitecustomize that reads KATA_FAKE_CPU_COUNT


def pretend_cpu_count(count: int) -> None:
    """Every run started from here on (they inherit os.environ) sees ``count`` cores, children included."""
    if count < 1:
        raise SystemExit(f"--cpu-count {count}: a machine has at least one core")
    os.environ["KATA_FAKE_CPU_COUNT"] = str(count)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(FAKE_CPUS), os.environ.get("PYTHONPATH"))))


def verdicts(topic, tree, runs, start_method, extra, check, parallel, test_files=None):
    def one(_):
        return check(engine.run_topic(topic, tree, start_method=start_method, extra_args=extra,
                                      test_files=test_files))
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, range(runs)))


def first_names(run, mistake, topic) -> bool:
    """Whether the first failure (in test-file order, what -x shows) names the mistake; says so when not."""
    first = first_failure(run)
    if first is None or mistake.expect in first["message"]:
        return True  # a run that does not fail at all is counted by the caller
    print(f"{topic} mistake {mistake.name}: the first failure does not say {mistake.expect!r}:\n  {shown(first)}",
          flush=True)
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--load", action="store_true", help="keep both cores busy with two spinning processes")
    parser.add_argument("--only", help="'solutions', 'mistakes' or one mistake's name")
    parser.add_argument("--start-method", choices=("fork", "forkserver", "spawn"))
    parser.add_argument("-n", dest="workers", help="pass -n to pytest (xdist) for the solution runs")
    parser.add_argument("--parallel", type=int, default=1, help="runs at once (default 1)")
    parser.add_argument("-k", dest="keyword", help="pass -k to pytest: only the tests that matter here")
    parser.add_argument("--focus", action="store_true",
                        help="run each mistake once in full, then only the tests whose message named it")
    parser.add_argument("--cpu-count", type=int, metavar="N",
                        help="make os.cpu_count() say N in the test runs and every process they start")
    options = parser.parse_args(argv)
    if options.cpu_count is not None:
        pretend_cpu_count(options.cpu_count)
    topic = options.topic
    bad = 0
    keyword = ("-k", options.keyword) if options.keyword else ()
    with busy_cores(2 if options.load else 0), tempfile.TemporaryDirectory() as scratch:
        if options.only in (None, "solutions"):
            extra = keyword + (("-n", options.workers) if options.workers else ())
            ok = verdicts(topic, trees.SOLUTIONS, options.runs, options.start_method, extra,
                          lambda run: run.returncode == 0 and bool(run.records) and not run.failed,
                          options.parallel)
            print(f"{topic} solutions: passed {sum(ok)}/{len(ok)}", flush=True)
            bad += ok.count(False)
        for mistake in mistakes(topic):
            if options.only not in (None, "mistakes", mistake.name):
                continue
            tree = mistake.build(topic, trees.module_path(trees.SOLUTIONS, topic), Path(scratch))
            start_method = mistake.start_method or options.start_method
            focus, note = None, ""
            if options.focus:
                calibration = engine.run_topic(topic, tree, start_method=start_method, extra_args=keyword)
                focus = [trees.ROOT / r["nodeid"] for r in calibration.failed if mistake.expect in r["message"]]
                if not focus:
                    print(f"{topic} mistake {mistake.name}: not caught in the full calibration run", flush=True)
                    bad += 1
                    continue
                note = f" (only the {len(focus)} test(s) that named it)"
                bad += not first_names(calibration, mistake, topic)
            ok = verdicts(topic, tree, options.runs, start_method, keyword,
                          lambda run: any(mistake.expect in r["message"] for r in run.failed)
                          and (focus is not None or first_names(run, mistake, topic)),
                          options.parallel, focus)
            print(f"{topic} mistake {mistake.name}: caught with its message {sum(ok)}/{len(ok)}{note}", flush=True)
            bad += ok.count(False)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
