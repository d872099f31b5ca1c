"""Run a topic's verdicts many times, optionally with both cores kept busy.

    python -m tests.stress locks --runs 50 --load            # solutions, then every catalogued mistake
    python -m tests.stress locks --runs 50 --only solutions --start-method spawn -n 2
    python -m tests.stress queues --runs 50 --load --focus    # each mistake: only the tests that name it
    python -m tests.stress pools --runs 1 --cpu-count 16      # the machine says 16 cores (1, ...): same verdicts
    python -m tests.stress locks --runs 5 --same-verdicts     # every test's outcome the same in every run

Prints, per tree, how many runs gave the expected verdict: solutions must pass
every run, each mistake must fail every run, its first failure naming it (with
--focus: the full calibration run's first failure; the focused runs then need
only some failure that names it). With --same-verdicts a tree also fails when
any one test's outcome (passed, failed, skipped, unfinished) differs between
its runs, even where the first failure never changes: a later test that passes
or fails by luck gives a score that lies.
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
    # Each loop spins only while its parent lives, so a stress run killed by a signal leaves none behind.
    spin = f"import os\nwhile os.getppid() == {os.getpid()}: pass"
    loops = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
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


def verdicts(topic, tree, runs, start_method, extra, check, parallel, test_files=None, vectors=None):
    """check(run) for each of ``runs`` runs; each run's outcome vector is appended to ``vectors`` if given."""
    def one(_):
        run = engine.run_topic(topic, tree, start_method=start_method, extra_args=extra, test_files=test_files)
        if vectors is not None:
            vectors.append(outcome_vector(run))
        return check(run)
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return list(pool.map(one, range(runs)))


def outcome_vector(run) -> dict[str, str]:
    """Each collected test's outcome in one run: passed, failed, skipped or unfinished.

    Keyed by the test's name within its file: each run copies the tests to a scratch folder of its own.
    """
    def name(nodeid):
        return nodeid.split("::", 1)[-1]
    vector = dict.fromkeys(map(name, run.collected), "unfinished")
    for record in run.records:
        vector[name(record["nodeid"])] = record["outcome"]
    return vector


def changing_outcomes(vectors: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    """The tests whose outcome was not the same in every run: test -> {outcome: how many runs}."""
    changing = {}
    for nodeid in dict.fromkeys(nodeid for vector in vectors for nodeid in vector):
        seen = [vector.get(nodeid, "not collected") for vector in vectors]
        if len(set(seen)) > 1:
            changing[nodeid] = {outcome: seen.count(outcome) for outcome in dict.fromkeys(seen)}
    return changing


def same_verdicts(label: str, vectors: list[dict[str, str]]) -> bool:
    """Print and return whether every run gave every test the same outcome."""
    changing = changing_outcomes(vectors)
    for nodeid, counts in changing.items():
        tally = ", ".join(f"{outcome} {count}" for outcome, count in counts.items())
        print(f"{label}: {nodeid} changed between runs ({tally})", flush=True)
    print(f"{label}: every test's outcome the same in {len(vectors)} runs: "
          f"{'yes' if not changing else f'no, {len(changing)} test(s) changed'}", flush=True)
    return not changing


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
    parser.add_argument("--sandbox", action="store_true",
                        help="run every tree with --sandbox: the module in a sandbox process, as the grader does")
    parser.add_argument("--same-verdicts", action="store_true",
                        help="also fail a tree when any test's outcome differs between its runs")
    options = parser.parse_args(argv)
    if options.cpu_count is not None:
        pretend_cpu_count(options.cpu_count)
    topic = options.topic
    bad = 0
    # Passed to every pytest run: which tests, and where the module runs.
    keyword = (("-k", options.keyword) if options.keyword else ()) + (("--sandbox",) if options.sandbox else ())
    with busy_cores(2 if options.load else 0), tempfile.TemporaryDirectory() as scratch:
        if options.only in (None, "solutions"):
            extra = keyword + (("-n", options.workers) if options.workers else ())
            vectors = [] if options.same_verdicts else None
            ok = verdicts(topic, trees.SOLUTIONS, options.runs, options.start_method, extra,
                          lambda run: run.returncode == 0 and bool(run.records) and not run.failed,
                          options.parallel, vectors=vectors)
            print(f"{topic} solutions: passed {sum(ok)}/{len(ok)}", flush=True)
            bad += ok.count(False)
            if vectors is not None:
                bad += not same_verdicts(f"{topic} solutions", vectors)
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
            vectors = [] if options.same_verdicts else None
            ok = verdicts(topic, tree, options.runs, start_method, keyword,
                          lambda run: any(mistake.expect in r["message"] for r in run.failed)
                          and (focus is not None or first_names(run, mistake, topic)),
                          options.parallel, focus, vectors)
            print(f"{topic} mistake {mistake.name}: caught with its message {sum(ok)}/{len(ok)}{note}", flush=True)
            bad += ok.count(False)
            if vectors is not None:
                bad += not same_verdicts(f"{topic} mistake {mistake.name}", vectors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
