"""Hostile submissions against the grader's containment: each attack of issue 11, kept as a check.

One batch holds honest students, a stub student and attackers; it is graded
once, at the strongest containment this machine allows, and each test reads
one attack's outcome: honest scores for everyone, valid output, nothing left
running. Attacks that need a single-submission run (GitHub's output file, the
grader's own signals) have their own, short runs.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest
import xmlschema

from kata import containment, trees

pytestmark = pytest.mark.timeout(900)

ATTACKED, CONTROL = "locks", "threads"
TOPICS = f"{ATTACKED},{CONTROL}"
MARK = f"kata-hostile-{uuid.uuid4().hex[:12]}"  # in every attacker's command line, to find leftovers
HIDDEN_MARK = f"HIDDEN-{uuid.uuid4().hex}"
PROBE = f"_hostile_probe_{uuid.uuid4().hex[:8]}.py"
SCHEMA = Path(__file__).parent / "schemas" / "junit.xsd"
MEMORY_MIB = 2048

SOLUTION = {topic: trees.module_path(trees.SOLUTIONS, topic).read_text() for topic in (ATTACKED, CONTROL)}
STUB = {topic: trees.module_path(trees.EXERCISES, topic).read_text() for topic in (ATTACKED, CONTROL)}

# Code an escaped process runs: double fork, setsid, empty environment, MARK on its command line.
ESCAPE = textwrap.dedent('''
    import subprocess, sys
    subprocess.Popen(["setsid", sys.executable, "-c", {script!r}, {mark!r}], env={{}}, start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
''')

VANDAL = textwrap.dedent('''
    # Every 0.2 s for 60 s: stub out every other module it finds, forge passes into every result log,
    # SIGKILL every other topic run. (Only the batch's own folders, named with a mark, and the grader's
    # copies are touched: had containment failed, nothing outside this check is hurt.)
    import glob, json, os, signal, sys, time
    mark = sys.argv[-1]
    stub = "def __getattr__(name):\\n    raise NotImplementedError(name)\\n"
    roots = set()
    for pid in os.listdir("/proc"):
        try:
            roots.update(a for a in open(f"/proc/{pid}/cmdline").read().split("\\0") if a.startswith("/") and mark in a)
        except OSError:
            pass
    end = time.time() + 60
    while time.time() < end:
        for root in [r for r in roots if os.path.isdir(r)] + glob.glob("/tmp/kata-grade-*/tree"):
            for path in glob.glob(root + "/*/*.py") + glob.glob(root + "/*.py"):
                if path.endswith(("/locks.py", "/threads.py")) and "kata-run" not in path:
                    try:
                        open(path, "w").write(stub)
                    except OSError:
                        pass
        for log in glob.glob("/tmp/kata-run-*/log/*.jsonl"):
            try:
                ids = json.loads(open(log).readline())["collected"]
                with open(log, "a") as file:
                    for nodeid in ids:
                        file.write(json.dumps({"nodeid": nodeid, "outcome": "passed"}) + "\\n")
            except (OSError, ValueError, KeyError):
                pass
        for pid in os.listdir("/proc"):
            try:
                if b"kata.runner" in open(f"/proc/{pid}/cmdline", "rb").read() and int(pid) != os.getpid():
                    os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        time.sleep(0.2)
''')

THIEF = textwrap.dedent('''
    # Look for another student's working locks.py where one would be: the grader's copies of every
    # submission, and the batch folder named on the grader's command line; take the first found.
    # (Kept to this check's own grader, by its mark: files that are world-readable anyway, such as other
    # copies of the kata on this machine, are a limit GRADING.md states for the uid level.)
    import glob as _glob, os as _os
    _candidates = _glob.glob("/tmp/kata-grade-*/tree/locks/locks.py")
    for _pid in _os.listdir("/proc"):
        try:
            for _arg in open(f"/proc/{_pid}/cmdline").read().split("\\0"):
                if _arg.startswith("/") and "MARK" in _arg and _os.path.isdir(_arg):
                    _candidates += _glob.glob(_arg + "/*/locks.py") + _glob.glob(_arg + "/locks.py")
        except OSError:
            pass
    for _path in _candidates:
        try:
            _code = open(_path).read()
        except OSError:
            continue
        if "class Counter" in _code and "NotImplementedError" not in _code:
            exec(_code, globals())
            break
''').replace("MARK", MARK)

STOPPER = textwrap.dedent('''
    # SIGSTOP, then SIGKILL, every kata grade process it can see (of this check: MARK on its command line).
    import os as _os, signal as _signal
    for _pid in _os.listdir("/proc"):
        try:
            _cmd = open(f"/proc/{_pid}/cmdline", "rb").read()
        except OSError:
            continue
        if b"grade" in _cmd and b"kata" in _cmd and b"MARK" in _cmd:
            for _sig in (_signal.SIGSTOP, _signal.SIGKILL):
                try:
                    _os.kill(int(_pid), _sig)
                except OSError:
                    pass
''').replace("MARK", MARK)

KATA_WRITER = textwrap.dedent(f'''
    # Rewrite the installed kata: drop a file into kata/ that the next submission's run would import.
    import kata as _kata, os as _os
    try:
        open(_os.path.join(_os.path.dirname(_kata.__file__), {PROBE!r}), "w").write("SCORE = 'forged'\\n")
    except OSError:
        pass
''')

MEMORY = textwrap.dedent(f'''
    # Three forked children, each holding {MEMORY_MIB * 2 // 5} MiB at once: more than the run's cap together,
    # under it each. If all three held, take the reference answer (points mean the cap failed).
    import os as _os
    _pipes = []
    for _ in range(3):
        _read, _write = _os.pipe()
        if _os.fork() == 0:
            try:
                _block = b"x" * ({MEMORY_MIB * 2 // 5} * 1024 * 1024)
                _os.write(_write, b"1")
                _os.read(_os.open("/dev/zero", _os.O_RDONLY), 1)
                import time as _time
                _time.sleep(5)
            finally:
                _os._exit(0)
        _os.close(_write)
        _pipes.append(_read)
    if all(_os.read(_pipe, 1) == b"1" for _pipe in _pipes):
        HELD_ALL = True
''')

HOSTILE_BYTES = textwrap.dedent('''
    # Print and raise what no format can carry as is, and scribble on the result log.
    import gc as _gc, sys as _sys
    _sys.stdout.buffer.write(b"\\xff\\xfe raw \\x1b[31m ESC \\x00 NUL \\x07 BEL\\n")
    print("lone surrogate: \\udcff", file=_sys.stderr, flush=True)
    for _object in _gc.get_objects():
        if type(_object).__name__ == "ResultLog":
            _object._file.write('{"nodeid": 3}\\n["garbage"]\\n{"nodeid": "x.py::test_y"}\\n\\x00\\x1b\\n')
            _object._file.flush()
    class Counter:
        def __init__(self, *args, **kwargs):
            raise ValueError("bad bytes \\udcff \\x1b[2J \\x00 \\ufffe")
''')

SOLUTION_READER = textwrap.dedent('''
    # Take the kata's own reference solution, if the run can read it.
    import kata.trees as _trees
    try:
        exec(open(_trees.SOLUTIONS / "locks" / "locks.py").read(), globals())
    except OSError:
        pass
''')

PEEKER = textwrap.dedent('''
    # Print everything that might name or hold the hidden tests: its command line, environment,
    # working folder, and every file named on any command line it can read.
    import os as _os, sys as _sys
    print(open("/proc/self/cmdline").read(), dict(_os.environ), _os.listdir("."))
    for _pid in _os.listdir("/proc"):
        try:
            for _arg in open(f"/proc/{_pid}/cmdline").read().split("\\0"):
                if _os.path.isdir(_arg):
                    for _folder, _, _files in _os.walk(_arg):
                        for _name in _files:
                            if _name.endswith(".py"):
                                print(open(_os.path.join(_folder, _name)).read()[:2000])
        except OSError:
            pass
''')


def escape(script: str) -> str:
    return ESCAPE.format(script=script, mark=MARK)


SUBMISSIONS = {  # name -> (locks.py, threads.py)
    "honest-1": (SOLUTION[ATTACKED], SOLUTION[CONTROL]),
    "honest-2": (SOLUTION[ATTACKED], SOLUTION[CONTROL]),
    "stub-student": (STUB[ATTACKED], STUB[CONTROL]),
    "thief": (STUB[ATTACKED] + THIEF, SOLUTION[CONTROL]),
    "solution-reader": (STUB[ATTACKED] + SOLUTION_READER, SOLUTION[CONTROL]),
    "escaped-vandal": (SOLUTION[ATTACKED] + escape(VANDAL), SOLUTION[CONTROL]),
    "grader-stopper": (SOLUTION[ATTACKED] + STOPPER, SOLUTION[CONTROL]),
    "kata-writer": (SOLUTION[ATTACKED] + KATA_WRITER, SOLUTION[CONTROL]),
    "memory-across-children": (STUB[ATTACKED] + MEMORY + "\nif globals().get('HELD_ALL'):\n    exec("
                               + repr(SOLUTION[ATTACKED]) + ")\n", SOLUTION[CONTROL]),
    "hostile-bytes": (SOLUTION[ATTACKED] + HOSTILE_BYTES, SOLUTION[CONTROL]),
    "hidden-peeker": (STUB[ATTACKED] + PEEKER, SOLUTION[CONTROL]),
}
HIDDEN_TEST = f'''import pytest


@pytest.mark.task(1)
def test_hidden_case_{HIDDEN_MARK.replace("-", "_")}():
    assert "{HIDDEN_MARK}"
'''


def kata_grade(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "kata.cli", "grade", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def leftovers() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if MARK in (process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.fixture(scope="module", params=["namespaces", "uid"])
def level(request):
    """Each level that should stop the attacks, where this machine has it (level 'none' does not: GRADING.md)."""
    reason = containment.why_not(request.param)
    if reason:
        pytest.skip(f"containment {request.param!r} is not available here: {reason}")
    return request.param


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, level):
    root = tmp_path_factory.mktemp(MARK)
    for name, (locks, threads) in SUBMISSIONS.items():
        folder = root / "submissions" / name
        folder.mkdir(parents=True)
        (folder / f"{ATTACKED}.py").write_text(locks)
        (folder / f"{CONTROL}.py").write_text(threads)
    hidden = root / "hidden" / ATTACKED
    hidden.mkdir(parents=True)
    (hidden / f"test_{ATTACKED}_hidden.py").write_text(HIDDEN_TEST)
    done = kata_grade(root / "submissions", "--batch", "--output", root / "results", "--topics", TOPICS,
                      "--extra-tests", root / "hidden", "--format", "junit", "--format", "exercism",
                      "--format", "classroom", "--format", "markdown", "--jobs", "2",
                      "--memory-limit", MEMORY_MIB, "--topic-timeout", "90", "--containment", level)
    time.sleep(0)  # leftovers are looked for right away: nothing may still be on its way out
    left = leftovers()
    for process in left:
        process.kill()
    probe = trees.ROOT / "kata" / PROBE
    written = probe.exists()
    probe.unlink(missing_ok=True)
    yield root / "results", done, left, written


def result(results: Path, name: str) -> dict:
    return json.loads((results / f"{name}.json").read_text())


def topic_score(report: dict, topic: str, hidden: bool = False) -> float:
    return sum(t["score"] for t in report["tests"] if topic in t["tags"]
               and (t["visibility"] == "after_published") == hidden)


def full_marks(topic: str) -> float:
    from kata.points import topic_points

    return sum(task.points * count for task, count in topic_points(topic))


def test_the_batch_finishes_with_a_result_for_everyone_and_nothing_left_running(hostile, level):
    results, done, left, _ = hostile
    assert done.returncode == 0, f"kata grade --batch exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert not left, f"processes the attackers started outlived the grader: {[p.pid for p in left]}"
    rows = (results / "scores.csv").read_text().splitlines()[1:]
    assert sorted(row.split(",")[0] for row in rows) == sorted(SUBMISSIONS), (
        f"scores.csv should have one row per submission; it has {rows}")
    for name in SUBMISSIONS:
        assert result(results, name)["extra_data"]["containment"] == level, (
            f"{name}: the results should say the runs were held at {level!r}")


@pytest.mark.parametrize("name", ["honest-1", "honest-2"])
def test_honest_students_keep_every_point_whatever_the_others_do(hostile, name):
    report = result(hostile[0], name)
    for topic in (ATTACKED, CONTROL):
        assert topic_score(report, topic) == full_marks(topic), (
            f"{name} submitted the reference solution but scored {topic_score(report, topic)}/{full_marks(topic)} "
            f"in {topic}: another submission reached its files or runs")


def test_a_stub_student_scores_zero_though_forgers_write_passes_into_every_log_they_find(hostile):
    report = result(hostile[0], "stub-student")
    assert topic_score(report, ATTACKED) == topic_score(report, CONTROL) == 0, (
        f"the stub student scored {topic_score(report, ATTACKED)} and {topic_score(report, CONTROL)}: "
        "forged records reached its result logs")


@pytest.mark.parametrize("name", ["thief", "memory-across-children", "hidden-peeker"])
def test_an_attack_that_would_earn_points_earns_none(hostile, name):
    report = result(hostile[0], name)
    assert topic_score(report, ATTACKED) == 0, (
        f"{name} scored {topic_score(report, ATTACKED)} in {ATTACKED} with a stub: the attack got through")
    assert topic_score(report, CONTROL) == full_marks(CONTROL), f"{name} lost points in its honest {CONTROL}"


def test_a_namespaced_run_cannot_read_the_reference_solutions(hostile, level):
    if level != "namespaces":
        pytest.skip(f"at the {level!r} level the kata's files, solutions/ included, stay readable (GRADING.md)")
    report = result(hostile[0], "solution-reader")
    assert topic_score(report, ATTACKED) == 0, (
        f"a stub that execs solutions/locks/locks.py scored {topic_score(report, ATTACKED)}: the run could read it")


@pytest.mark.parametrize("name", ["escaped-vandal", "grader-stopper", "kata-writer", "hostile-bytes"])
def test_an_attacker_keeps_its_honest_topic(hostile, name):
    report = result(hostile[0], name)
    assert topic_score(report, CONTROL) == full_marks(CONTROL), (
        f"{name} scored {topic_score(report, CONTROL)}/{full_marks(CONTROL)} in its honest {CONTROL}")


def test_the_installed_kata_cannot_be_rewritten(hostile):
    assert not hostile[3], f"a run created kata/{PROBE}: the installed kata was writable from a topic run"


def test_hostile_bytes_leave_every_format_valid(hostile):
    results = hostile[0]
    schema = xmlschema.XMLSchema(str(SCHEMA))
    for name in SUBMISSIONS:
        errors = list(schema.iter_errors(str(results / f"{name}.junit.xml")))
        assert not errors, f"{name}.junit.xml fails the JUnit schema (tests/schemas/junit.xsd): {str(errors[0])[:500]}"
        for suffix in (".json", ".exercism.json", ".classroom.json"):
            json.loads((results / f"{name}{suffix}").read_text(encoding="utf-8"))
    report = result(results, "hostile-bytes")
    shown = [t["output"] for t in report["tests"] if ATTACKED in t["tags"] and t["status"] == "failed"]
    assert any("bad bytes \\udcff \\x1b[2J \\x00" in text for text in shown), (
        "a Counter that raises with a lone surrogate, ESC and NUL should fail, its message shown escaped; "
        f"outputs seen: {[text[:300] for text in shown[:2]]}")


def test_hidden_tests_score_and_stay_out_of_everything_visible(hostile):
    results = hostile[0]
    honest = result(results, "honest-1")
    hidden = [t for t in honest["tests"] if t["visibility"] == "after_published"]
    assert len(hidden) == 1 and hidden[0]["status"] == "passed", (
        f"the hidden test outside the kata's root should be graded once and pass; saw {hidden}")
    for name in SUBMISSIONS:
        report = result(results, name)
        shown = [t["output"] for t in report["tests"] if t["visibility"] == "visible"] + [report["output"]]
        assert not any(HIDDEN_MARK in text or "_hidden.py" in text for text in shown), (
            f"{name}: a visible output names or quotes the hidden tests")
        for suffix in (".exercism.json", ".classroom.json", ".junit.xml", ".md"):
            assert HIDDEN_MARK.replace("-", "_") not in (results / f"{name}{suffix}").read_text(encoding="utf-8"), (
                f"{name}{suffix} names the hidden test")


def test_github_output_cannot_be_forged_from_a_run(tmp_path, level):
    submission = tmp_path / "submission"
    submission.mkdir()
    forger = textwrap.dedent('''
        import os
        for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
            if os.environ.get(variable):
                open(os.environ[variable], "a").write("locks=FORGED\\n")
        for pid in os.listdir("/proc"):
            try:
                for entry in open(f"/proc/{pid}/environ").read().split("\\0"):
                    if entry.startswith("GITHUB_OUTPUT="):
                        open(entry.split("=", 1)[1], "a").write("locks=FORGED\\n")
            except OSError:
                pass
    ''')
    (submission / "locks.py").write_text(STUB[ATTACKED] + forger + escape(
        f"import time, glob\ntime.sleep(3)\nfor f in glob.glob('/tmp/pytest-of-*/*/*/github_output_{MARK}'):\n"
        "    open(f, 'a').write('locks=FORGED\\n')\n"))
    output = tmp_path / f"github_output_{MARK}"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    done = kata_grade(submission, "--topics", ATTACKED, "--output", tmp_path / "r.json", "--format", "classroom",
                      "--containment", level, env=env)
    time.sleep(4)  # past the escaped forger's delay: had it survived, it would have written by now
    left = leftovers()
    for process in left:
        process.kill()
    assert done.returncode == 0, f"kata grade exited {done.returncode}:\n{done.stderr[-2000:]}"
    lines = output.read_text().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [ATTACKED], (
        f"$GITHUB_OUTPUT should hold only the grader's own line for {ATTACKED}; it holds {lines}")
    payload = json.loads(base64.b64decode(lines[0].split("=", 1)[1]))
    assert sum(t["score"] for t in payload["tests"]) == 0, "the stub's classroom payload should score 0"
    assert not left, "the escaped forger outlived its run"


def test_the_grader_cannot_be_stopped_or_killed_from_a_run(tmp_path, level):
    submission = tmp_path / MARK
    submission.mkdir()
    (submission / "locks.py").write_text(SOLUTION[ATTACKED] + STOPPER)
    grader = subprocess.Popen([sys.executable, "-m", "kata.cli", "grade", str(submission), "--topics", ATTACKED,
                               "--output", str(tmp_path / "r.json"), "--topic-timeout", "60", "--containment", level],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = grader.communicate(timeout=240)
    finally:
        if grader.poll() is None:  # stopped by the attack: wake it to end it
            grader.send_signal(signal.SIGCONT)
            grader.kill()
            grader.wait()
    assert grader.returncode == 0, f"the grader exited {grader.returncode} (-19/-9: stopped or killed):\n{err[-2000:]}"
    report = json.loads((tmp_path / "r.json").read_text())
    assert topic_score(report, ATTACKED) == full_marks(ATTACKED), (
        f"the solution with a grader-stopper scored {topic_score(report, ATTACKED)}/{full_marks(ATTACKED)}")


def test_level_none_is_said_loudly_and_reported(tmp_path):
    done = kata_grade(trees.SOLUTIONS, "--topics", CONTROL, "--output", tmp_path / "r.json",
                      "--containment", "none", "--format", "markdown")
    assert done.returncode == 0, f"kata grade exited {done.returncode}:\n{done.stderr[-2000:]}"
    assert "WARNING" in done.stderr and "containment" in done.stderr.lower(), (
        f"grading at level none should warn on stderr; stderr was:\n{done.stderr[-2000:]}")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["extra_data"]["containment"] == "none", f"extra_data says {report['extra_data']}"
    assert "Containment: `none`" in (tmp_path / "r.md").read_text(), "the Markdown summary should name the level"


@pytest.mark.parametrize("forced", containment.LEVELS)
def test_each_level_can_be_forced_or_is_refused_with_a_reason(tmp_path, forced):
    done = kata_grade(trees.SOLUTIONS, "--topics", CONTROL, "--output", tmp_path / "r.json",
                      "--containment", forced)
    reason = containment.why_not(forced)
    if reason:
        assert done.returncode == 2 and "not available here" in done.stderr, (
            f"--containment {forced} is unavailable here ({reason}); the grader should refuse with exit 2, "
            f"it exited {done.returncode}:\n{done.stderr[-1000:]}")
        return
    assert done.returncode == 0, f"--containment {forced} exited {done.returncode}:\n{done.stderr[-2000:]}"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["extra_data"]["containment"] == forced, f"extra_data says {report['extra_data']}"
    assert topic_score(report, CONTROL) == full_marks(CONTROL), (
        f"the solution scored {topic_score(report, CONTROL)}/{full_marks(CONTROL)} under --containment {forced}")
