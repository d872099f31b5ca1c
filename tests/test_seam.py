"""The seam and the guard: whatever a tree does, every test gets a clear verdict and nothing survives."""
import psutil
import pytest

from kata import engine, trees
from kata.mistakes import Mistake

SOLUTION = trees.module_path(trees.SOLUTIONS, "locks")


def hostile(tmp_path, name, *edits, whole=None):
    if whole is not None:
        module = tmp_path / name / "locks" / "locks.py"
        module.parent.mkdir(parents=True)
        module.write_text(whole)
        return tmp_path / name
    return Mistake(name, edits, expect="").build("locks", SOLUTION, tmp_path)


@pytest.mark.parametrize("source, says", [
    ("def broken(:\n", "SyntaxError"),
    ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
])
def test_a_module_that_fails_to_import_fails_every_test_with_the_reason(tmp_path, source, says):
    run = engine.run_topic("locks", hostile(tmp_path, "broken", whole=source))
    assert run.records and not run.passed, (
        f"a module that fails to import should fail every test and pass none:\n{run.output[-2000:]}")
    assert all("failed to import" in r["output"] and says in r["output"] for r in run.records), run.output[-2000:]


def test_a_missing_module_is_named(tmp_path):
    (tmp_path / "empty").mkdir()
    run = engine.run_topic("locks", tmp_path / "empty")
    assert run.records and all("no module for topic 'locks'" in r["output"] for r in run.records), (
        f"with no locks module, every test should say so:\n{run.output[-2000:]}")


def test_a_leaked_thread_fails_its_test_and_the_run_still_exits(tmp_path):
    tree = hostile(tmp_path, "leaky", ("        self.value = 0\n", "        self.value = 0\n"
                                       "        threading.Thread(target=threading.Event().wait, name='stuck').start()\n"))
    run = engine.run_topic("locks", tree, hard_limit=120)
    assert run.returncode == 1, f"pytest should exit 1 after reporting, not hang: {run.output[-2000:]}"
    leaks = [r for r in run.failed if "thread 'stuck' (non-daemon) is still running" in r["output"]]
    assert leaks, run.output[-2000:]


LEAK_GRACE = 5.0


def test_a_leaked_child_process_is_killed_and_fails_its_test(tmp_path):
    tree = hostile(tmp_path, "spawner", ("        self.value = 0\n", "        self.value = 0\n"
                                         "        import subprocess; subprocess.Popen(['sleep', '300'])\n"))
    before = {p.pid for p in psutil.process_iter()}
    run = engine.run_topic("locks", tree)
    assert any("child process" in r["output"] and "has been killed" in r["output"] for r in run.failed), \
        run.output[-2000:]
    survivors = [p for p in psutil.process_iter(["cmdline"])
                 if p.pid not in before and p.info["cmdline"] == ["sleep", "300"]]
    # The run's PID namespace (containment "namespaces") is emptied by the kernel as its first process
    # ends, which can finish a moment after the run has returned: give it that moment, never more.
    _, alive = psutil.wait_procs(survivors, timeout=LEAK_GRACE)
    for process in alive:
        process.kill()
    assert not alive, f"leaked processes survived the run by more than {LEAK_GRACE} s: {alive}"


def stuck_tree(tmp_path, topic, body):
    module = tmp_path / "stuck" / topic / f"{topic}.py"
    module.parent.mkdir(parents=True)
    module.write_text(f"import time\n\n{body}\n")
    return module.parent.parent


SPINNING = ("s of CPU", "still importing after")  # the wall-clock bound comes first on a crowded machine


@pytest.mark.parametrize("topic, body, says, options", [
    ("locks", "while True: pass", SPINNING, ()),
    ("locks", "time.sleep(1000)", ("sat waiting",), ("-n", "2")),
    ("processes", "while True: pass", SPINNING, ("--start-method", "spawn")),
    ("processes", "while True: pass", SPINNING, ("--start-method", "forkserver", "-n", "2")),
], ids=["spins", "sleeps-xdist", "spins-spawn", "spins-forkserver-xdist"])
@pytest.mark.timeout(300)  # a whole topic run, xdist workers included, on a machine that may be crowded
def test_a_module_stuck_at_import_fails_every_test_at_once_with_its_line(tmp_path, topic, body, says, options):
    run = engine.run_topic(topic, stuck_tree(tmp_path, topic, body), extra_args=options, hard_limit=120)
    assert run.records and not run.unfinished and not run.passed, (
        f"a module stuck at import should fail every test and leave none unfinished; "
        f"unfinished: {run.unfinished}\n{run.output[-2000:]}")
    told = [r for r in run.records if "line 3" in r["output"] and "__name__ == '__main__'" in r["output"]]
    assert told and all(any(words in r["output"] for words in says) for r in run.records), (
        f"the first test should name line 3, where the import was stuck ({' or '.join(says)}), and teach the "
        f"__main__ guard; "
        f"the others should say the same in one line:\n" + "\n".join(r["output"] for r in run.records[:3]))
    assert "Timeout" not in run.output, f"the stuck import reached pytest-timeout:\n{run.output[-2000:]}"


def test_an_import_error_is_told_once_in_full_then_in_one_line(tmp_path):
    run = engine.run_topic("locks", hostile(tmp_path, "broken", whole="import os\ndef broken(:\n"))
    first, *others = [r["output"] for r in run.records]
    assert "SyntaxError" in first and "line 2: def broken(:" in first, (
        f"the first test should name the syntax error and quote line 2:\n{first}")
    assert others and all(len(o.strip().splitlines()) == 1 and "line 2" in o for o in others), (
        "every later test should repeat the failure in one line, with its line number:\n" + "\n".join(others[:3]))
    chained = [o for o in (first, *others) if "During handling" in o]
    assert not chained, f"an import failure should be reported once, not chained:\n{chained[0] if chained else ''}"


def test_a_trial_import_leaves_nothing_its_module_started(tmp_path, monkeypatch):
    from kata import import_check

    module = tmp_path / "starts_a_child.py"
    module.write_text("import subprocess\nsubprocess.Popen(['sleep', '307'])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    verdict = import_check.trial_import("starts_a_child", module)
    assert verdict.finished, f"a module that starts a child at import does finish importing: {verdict}"
    survivors = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "307"]]
    for process in survivors:
        process.kill()
    assert not survivors, "the trial import left the process its module started running"
