"""``kata bench mutation``: how many small faults put into solutions/ the tests catch, topic by topic.

cosmic-ray (``pip install -e '.[mutation]'``) makes the mutants: one operator
applied at one place in the topic's reference solution (``<`` for ``<=``,
``break`` for ``continue``, ``[]`` for a loop's iterable, ...). Each mutant is
written into a scratch copy of the module, never into solutions/, and judged
by the topic's tests through the engine exactly as a submission is
(``pytest exercises/<topic> --impl TREE -x``, contained, with a hard limit).

  killed     a test failed
  timed out  no verdict within --timeout (counted as caught in the rate)
  given      the changed line is one the stub already holds (stub_given.py):
             skipped, not run and not counted among the mutants
  survived   every test passed; equivalent survivors (listed in
             equivalent_mutants.toml with a reason) are subtracted, the rest
             are printed: each needs a test or a catalogue entry

An entry of the equivalent list that no longer matches a survivor (the
solution changed, or a test now kills it) is reported as stale, and the
benchmark exits 1 until it is removed. Runs under ``nice``; slow (a few
seconds per mutant); not part of CI.
"""
from __future__ import annotations

import argparse
import difflib
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kata import engine, registry, trees
from kata.benchmarks import stub_given

EQUIVALENTS = Path(__file__).with_name("equivalent_mutants.toml")
DEFAULT_TIMEOUT = 150.0  # seconds per mutant: above the slowest topic's hang bounds, far below a hang
TIMED_OUT = "timed out"


# -- one mutant's verdict (the test command cosmic-ray runs) ---------------------

def judge(topic: str, tree: Path, timeout: float) -> int:
    """Run the topic's tests against tree; print what decided; exit 0 only if every test passed."""
    run = engine.run_topic(topic, tree, extra_args=("-x",), hard_limit=timeout)
    if run.failed:
        first = run.failed[0]
        said = (first["message"].splitlines() or [""])[0][:300]
        print(f"killed by {first['nodeid'].split('::')[-1]}: {said}")
        return 1
    if run.returncode is None:
        print(f"{TIMED_OUT} after {timeout:g} s; {len(run.records)} test(s) had passed")
        return 1
    if run.returncode != 0 or not run.records:
        print(f"killed: pytest exited {run.returncode} with {len(run.records)} test(s) finished\n{run.output[-1500:]}")
        return 1
    print(f"survived: all {len(run.records)} tests passed")
    return 0


# -- what a mutant is, in words that survive line shifts -------------------------

@dataclass(frozen=True)
class Mutant:
    topic: str
    operator: str
    where: str  # the function or class it is in
    before: str  # the changed source line(s), stripped, one per line
    after: str
    line: int

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.topic, self.operator, self.where, self.before, self.after)

    def describe(self) -> str:
        removed = "".join(f"\n      - {line}" for line in self.before.splitlines())
        added = "".join(f"\n      + {line}" for line in self.after.splitlines())
        return f"line {self.line} in {self.where}: {self.operator}{removed}{added}"


def describe_mutation(topic: str, source: str, mutation) -> Mutant | None:
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    operator = get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
    mutated = mutate_code(source, operator, mutation.occurrence)
    if mutated is None:
        return None
    removed, added = [], []
    for line in difflib.unified_diff(source.splitlines(), mutated.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:].strip())
    return Mutant(topic, mutation.operator_name, mutation.definition_name or "<module>",
                  "\n".join(removed), "\n".join(added), mutation.start_pos[0])


# -- the checked-in list of equivalent mutants -----------------------------------

FIELDS = ("topic", "operator", "where", "before", "after", "reason")


def load_equivalents(path: Path = EQUIVALENTS) -> dict[tuple, str]:
    """key -> reason; a malformed entry stops the benchmark with the entry's number and what is wrong."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: cosmic-ray brings the toml package
        import toml as tomllib

    if not path.is_file():
        return {}
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    known, topics = {}, set(registry.names())
    for number, entry in enumerate(entries, 1):
        missing = [name for name in FIELDS if not str(entry.get(name, "")).strip()]
        if missing:
            raise SystemExit(f"{path}: entry {number} lacks {', '.join(missing)}")
        if entry["topic"] not in topics:
            raise SystemExit(f"{path}: entry {number}: no topic {entry['topic']!r} in kata/registry.py")
        if "\n" in entry["reason"].strip():
            raise SystemExit(f"{path}: entry {number}: keep the reason to one line")
        key = tuple(entry[name] for name in FIELDS[:-1])
        if key in known:
            raise SystemExit(f"{path}: entry {number} repeats an earlier entry")
        known[key] = entry["reason"]
    return known


# -- one topic's session ---------------------------------------------------------

@dataclass
class Tally:
    topic: str
    mutants: int = 0
    killed: int = 0
    timed_out: int = 0
    survived: int = 0
    equivalent: int = 0
    given: int = 0  # skipped: the stub holds the changed line
    unfinished: int = 0

    @property
    def rate(self) -> float | None:
        judged = self.killed + self.timed_out + self.survived - self.equivalent
        return (self.killed + self.timed_out) / judged if judged else None


def session(topic: str, folder: Path):
    """The topic's scratch tree and cosmic-ray work database, made anew unless a matching one is there."""
    from cosmic_ray.commands.init import init
    from cosmic_ray.work_db import WorkDB, use_db

    solution = trees.module_path(trees.SOLUTIONS, topic)
    tree = folder / topic / "tree"
    copy = trees.module_path(tree, topic)
    database = folder / topic / "session.sqlite"
    pristine = folder / topic / "solution.py"  # what the session mutates: a changed solution starts a new one
    if not (pristine.is_file() and database.is_file() and pristine.read_bytes() == solution.read_bytes()
            and mutates_only(database, copy)):
        shutil.rmtree(folder / topic, ignore_errors=True)
        copy.parent.mkdir(parents=True)
        shutil.copyfile(solution, pristine)
        shutil.copyfile(solution, copy)
        with use_db(str(database), WorkDB.Mode.create) as db:
            init([copy], db, {})
    shutil.copyfile(pristine, copy)  # undo a mutant left in place by a run that was killed
    return tree, copy, database


def mutates_only(database: Path, copy: Path) -> bool:
    """Whether every mutant of the session is put into ``copy``, the module the judge tests.

    A session moved or copied from another folder still names the tree it was made in: its
    mutants would change that file while the judge tests an unmutated one, and all would survive.
    """
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(database), WorkDB.Mode.open) as db:
        return all(Path(mutation.module_path) == copy for item in db.work_items for mutation in item.mutations)


def run_topic(topic: str, folder: Path, timeout: float, equivalents: dict, deadline: float | None):
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_db import WorkDB, use_db

    tree, copy, database = session(topic, folder)
    command = shlex.join([sys.executable, "-m", "kata.benchmarks.mutation", "--judge", topic, str(tree),
                          "--timeout", f"{timeout:g}"])
    source = copy.read_text(encoding="utf-8")
    with use_db(str(database), WorkDB.Mode.open) as db:
        skip_given(topic, source, db)
        pending = db.pending_work_items
        print(f"{topic}: {db.num_work_items} mutants, {len(pending)} to run", flush=True)
        if pending and db.num_results == 0 and not past(deadline):
            baseline = engine.run_topic(topic, tree, extra_args=("-x",), hard_limit=timeout)
            if baseline.failed or baseline.returncode != 0:
                print(f"{topic}: the unmutated solution fails its own tests; mutants would prove nothing", flush=True)
                return None, [], []
        for done, item in enumerate(pending, 1):
            if past(deadline):
                print(f"{topic}: stopped at the deadline; run again with the same --sessions to go on", flush=True)
                break
            # The engine's hard limit ends a hung run; cosmic-ray's own limit is only a backstop.
            result = mutate_and_test(item.mutations, command, timeout + 60)
            db.set_result(item.job_id, result)
            said = ((result.output or "").strip().splitlines() or [""])[0]
            print(f"  {done}/{len(pending)} {getattr(result.test_outcome, 'value', '-')}: {said}", flush=True)
        return tally(topic, source, db, equivalents)


def skip_given(topic: str, source: str, db) -> None:
    """Mark the pending mutants of lines the stub already holds as SKIPPED: no test may tell those apart."""
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    given = stub_given.given_lines(trees.module_path(trees.EXERCISES, topic).read_text(encoding="utf-8"))
    for item in db.pending_work_items:
        mutant = describe_mutation(topic, source, item.mutations[0])
        if mutant is not None and stub_given.is_given(mutant.where, mutant.before, given):
            db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED,
                                                  output=f"given by the stub: {mutant.describe()}"))


def past(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def tally(topic: str, source: str, db, equivalents: dict):
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts = Tally(topic, mutants=db.num_work_items)
    survivors, surviving, judged = [], Counter(), set()
    for item, result in db.completed_work_items:
        if result.worker_outcome == WorkerOutcome.NO_TEST:  # the operator found nothing to change
            counts.mutants -= 1
            continue
        if result.worker_outcome == WorkerOutcome.SKIPPED:  # given by the stub: not a mutant of the student's code
            counts.mutants -= 1
            counts.given += 1
            continue
        if result.worker_outcome != WorkerOutcome.NORMAL:  # cosmic-ray itself failed: not a verdict
            print(f"{topic}: cosmic-ray could not judge a mutant:\n{result.output}", flush=True)
            continue
        mutant = describe_mutation(topic, source, item.mutations[0])
        judged.add(mutant.key)
        output = (result.output or "").strip()
        if result.test_outcome == TestOutcome.SURVIVED:
            counts.survived += 1
            surviving[mutant.key] += 1
            if mutant.key in equivalents:
                counts.equivalent += 1
            else:
                survivors.append((mutant, output))
        elif output.startswith((TIMED_OUT, "timeout")):
            counts.timed_out += 1
        else:
            counts.killed += 1
    counts.unfinished = counts.mutants - counts.killed - counts.timed_out - counts.survived
    stale = []
    if not counts.unfinished:  # only a complete session can tell that an entry matches nothing
        for key in equivalents:
            if key[0] == topic and key not in surviving:
                why = "now caught by a test" if key in judged else "no such mutant any more (the solution changed?)"
                stale.append((key, why))
    return counts, sorted(survivors, key=lambda pair: pair[0].line), stale


# -- the command -----------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kata bench mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topics", nargs="*", help="topics to mutate, one after another (default: all)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds one mutant's test run may take (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--nice", type=int, default=15, help="niceness to run at (default 15)")
    parser.add_argument("--sessions", type=Path,
                        help="keep each topic's work here, and go on from it next time (default: a temp folder)")
    parser.add_argument("--minutes", type=float,
                        help="start no new mutant after this many minutes; run again with --sessions to go on")
    parser.add_argument("--judge", nargs=2, metavar=("TOPIC", "TREE"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.judge:
        return judge(options.judge[0], Path(options.judge[1]), options.timeout)
    try:
        import cosmic_ray  # noqa: F401
    except ModuleNotFoundError:
        print("kata bench mutation needs cosmic-ray: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    unknown = [topic for topic in options.topics if topic not in registry.names()]
    if unknown:
        print(f"no such topic: {', '.join(unknown)} (see kata list)", file=sys.stderr)
        return 2
    os.nice(options.nice)
    equivalents = load_equivalents()
    folder = options.sessions or Path(tempfile.mkdtemp(prefix="kata-mutation-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows, stale_all = [], []
    deadline = time.monotonic() + 60 * options.minutes if options.minutes else None
    try:
        for topic in options.topics or registry.names():
            counts, survivors, stale = run_topic(topic, folder, options.timeout, equivalents, deadline)
            if counts is None:
                continue
            rows.append(counts)
            stale_all += stale
            for mutant, output in survivors:
                print(f"{topic}: SURVIVED {mutant.describe()}", flush=True)
            for key, why in stale:
                print(f"{topic}: STALE equivalent entry ({why}): {key[1]} in {key[2]}: {key[3]!r} -> {key[4]!r}")
    finally:
        if options.sessions is None:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(table(rows))
    return 1 if stale_all else 0


def table(rows: list[Tally]) -> str:
    lines = [f"{'topic':<14} {'mutants':>7} {'killed':>7} {'timed out':>9} {'survived':>8} "
             f"{'equivalent':>10} {'kill rate':>9} {'given by the stub':>17}"]
    for row in rows:
        rate = "-" if row.rate is None else f"{100 * row.rate:.0f} %"
        note = f"  ({row.unfinished} not run yet)" if row.unfinished else ""
        lines.append(f"{row.topic:<14} {row.mutants:7} {row.killed:7} {row.timed_out:9} {row.survived:8} "
                     f"{row.equivalent:10} {rate:>9} {row.given:17}{note}")
    lines.append("kill rate: (killed + timed out) / (mutants - equivalent survivors); "
                 "mutants of lines given by the stub are skipped and not counted")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
