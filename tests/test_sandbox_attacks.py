"""Hostile self-checks: a submission that attacks the judge instead of doing the work.

Each attack is a few lines appended to the locks module, as a cheating student
would add them. Under --sandbox the untouched stub must still fail every test
and a correct solution must still pass every one; in one process (the control)
the attacks that reach the judge's code really do change verdicts, which shows
that each attack is a real one.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from kata import engine, trees
from kata.sandbox import containment

TOPIC = "locks"  # the topic of the in-process controls
# The attacks on the judge's harness are the same whatever the topic; they run against every topic whose
# tests trust something new from the sandbox (a returned Thread, a caller's identity, a frozen clock).
SANDBOXED = ("locks", "timers", "events", "threads", "deadlocks", "processes", "join", "daemons", "process_locks",
             "gil", "pools")
pytestmark = pytest.mark.timeout(3600)  # whole topic runs, bounded by the engine itself

FORGE_LOG = '''
import json as _json, os as _os, sys as _sys

def _forge(argv):
    if "--kata-log" not in argv:
        return False
    path = argv[argv.index("--kata-log") + 1]
    with open(path, encoding="utf-8") as log:
        collected = [_json.loads(line)["collected"] for line in log if '"collected"' in line][0]
    with open(path, "a", encoding="utf-8") as log:
        for nodeid in collected:
            log.write(_json.dumps({"nodeid": nodeid, "outcome": "passed", "when": None, "message": "",
                                   "output": "", "printed": "", "duration": 0.0}) + "\\n")
    return True
'''

ATTACKS = {
    # (code appended to the module, whether it changes verdicts in one process)
    "pytest.fail disarmed": ("import pytest as _p\n_p.fail = lambda *a, **k: None\n", True),
    "result log forged": ('''
import json as _json, kata.results as _kr
def _write(self, teardown):
    self._failed.pop(teardown.nodeid, None)
    self._file.write(_json.dumps({"nodeid": teardown.nodeid, "outcome": "passed", "when": None, "message": "",
                                  "output": "", "printed": "", "duration": 0.0}) + "\\n")
    self._file.flush()
_kr.ResultLog._write = _write
''', True),
    "TestReport.from_item_and_call forged": ('''
from _pytest.reports import TestReport as _TR
_made = _TR.from_item_and_call.__func__
def _passed(cls, item, call):
    report = _made(cls, item, call)
    report.outcome, report.longrepr = "passed", None
    return report
_TR.from_item_and_call = classmethod(_passed)
''', True),
    "CallInfo.from_call swallows failures": ('''
from _pytest.runner import CallInfo as _CI
_from_call = _CI.from_call.__func__
def _quiet_call(cls, func, when, reraise=None):
    def quiet():
        try:
            return func()
        except BaseException:
            return None
    return _from_call(cls, quiet, when, reraise)
_CI.from_call = classmethod(_quiet_call)
''', True),
    "test functions emptied through sys.modules": ('''
import sys as _sys
_blank = (lambda *a, **k: None).__code__
for _module in list(_sys.modules.values()):
    for _name, _value in list(getattr(_module, "__dict__", {}).items()):
        if _name.startswith("test_") and hasattr(_value, "__code__"):
            try:
                _value.__code__ = _blank
            except Exception:
                pass
''', True),
    "pluggy hook calls short-circuited": ('''
import pluggy as _pluggy
_call = _pluggy.HookCaller.__call__
def _hooked(self, *args, **kwargs):
    if self.name == "pytest_runtest_makereport":
        report = _call(self, *args, **kwargs)
        report.outcome, report.longrepr = "passed", None
        return report
    return _call(self, *args, **kwargs)
_pluggy.HookCaller.__call__ = _hooked
''', True),
    # The runs read their arguments from stdin (kata.runner), so the log's path is found where pytest keeps it.
    "--kata-log found in pytest's config, forged, then os._exit(0)": (FORGE_LOG + '''
import gc as _gc
for _config in [o for o in _gc.get_objects() if type(o).__name__ == "Config" and hasattr(o, "getoption")]:
    _log = _config.getoption("kata_log", None)
    if _log is not None and _forge(["--kata-log", str(_log)]):
        _os._exit(0)
''', True),
    # Only the module's own ancestors are looked at: a self-check must not touch other processes.
    "--kata-log from a parent's command line forged, parent killed": (FORGE_LOG + '''
import signal as _signal
_pid = _os.getppid()
while _pid > 1:
    try:
        _argv = open(f"/proc/{_pid}/cmdline", "rb").read().decode().split("\\0")
        _parent = int(open(f"/proc/{_pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
    if _forge(_argv):
        _os.kill(_pid, _signal.SIGKILL)
        _os._exit(0)
    _pid = _parent
''', False),  # in one process the config is simpler (the attack above); this one is for a sandbox
    # A graded run has the result log's plugin loaded; a student's own run has not.
    "honest unless the result log is being written": ('''
import gc as _gc
if any(type(o).__name__ == "ResultLog" for o in _gc.get_objects()):
    import pytest as _p
    _p.fail = lambda *a, **k: None
''', True),
    "the seam's proxies patched, the probes found with gc": ('''
import gc as _gc
from kata.sandbox import bridge as _bridge
for _cls in (getattr(_bridge, "RemoteObject", object), getattr(_bridge, "JudgeObject", object)):
    try:
        _cls.__eq__ = lambda self, other: True
        _cls.__bool__ = lambda self: True
    except TypeError:
        pass
for _obj in _gc.get_objects():
    if type(_obj).__name__ in ("LockSpy", "Window", "Occupancy"):
        try:
            _obj.acquisitions, _obj.blocked = 10**6, 1
        except Exception:
            pass
''', False),
    "the running test emptied through the caller's frames": ('''
import sys as _sys
_frame = _sys._getframe()
while _frame is not None:
    _item = getattr(_frame.f_locals.get("request"), "_pyfuncitem", None)
    if _item is not None:
        _item.obj = lambda *a, **k: None
        break
    _frame = _frame.f_back
''', True),
}


def bridge_answers(forged: str) -> str:
    """Code that makes the sandbox's bridge answer the judge ``forged``, an expression of what it would
    have answered (``found``) and of the operation asked for (``op``, ``name``); it may call a function
    that the code after it defines."""
    return f'''
import kata.sandbox.bridge as _bridge
_perform = _bridge.perform
def _perform_forged(target, op, name, args, kwargs, ops):
    found = _perform(target, op, name, args, kwargs, ops)
    return {forged}
_bridge.perform = _perform_forged
'''


# What the sandbox answers the judge, made malformed by the module. Each must make the tests that rely on
# the answer fail, never pass: (code appended to the timers solution, the tests that must fail then), or
# (code, tests, the topic whose solution it is appended to).
FORGED_REPORTS = {
    "isinstance() answered with 1 instead of True": ('''
import kata.sandbox.bridge as _bridge
_perform = _bridge.perform
def _perform_forged(target, op, name, args, kwargs, ops):
    return 1 if op == "instance_of" else _perform(target, op, name, args, kwargs, ops)
_bridge.perform = _perform_forged
''', ["test_a_timer_is_a_thread_that_keeps_its_interval_function_and_finished_event"]),
    "the frozen clock acknowledged with 'yes' and never frozen": ('''
import gc as _gc
for _cls in {type(o) for o in _gc.get_objects() if type(o).__name__ == "SandboxBridge"}:
    _cls.freeze = lambda self, when: "yes"
''', ["test_a_deadline_counts_down_with_the_clock_under_freezegun",
      "test_backoff_delays_fit_in_what_is_left_under_freezegun"]),
    "the calling thread's identity sent as nonsense": ('''
import kata.caller as _caller
_caller.ident = lambda: "the timer thread, trust me"
''', ["test_the_function_runs_only_after_the_wait_and_in_the_timer_thread"]),
    "the recorded sleeps acknowledged with 'yes' and never recorded": ('''
import gc as _gc
for _cls in {type(o) for o in _gc.get_objects() if type(o).__name__ == "SandboxBridge"}:
    _cls.record_sleeps = lambda self, name, seed: "yes"
''', ["test_without_backoff_it_sleeps_a_random_moment_no_longer_than_the_timeout"], "deadlocks"),
    "the recorded sleeps answered with a length that is no number": ('''
import gc as _gc
for _cls in {type(o) for o in _gc.get_objects() if type(o).__name__ == "SandboxBridge"}:
    _cls.sleeps = lambda self: ["0.01"]
''', ["test_without_backoff_it_sleeps_a_random_moment_no_longer_than_the_timeout"], "deadlocks"),
    "get_ident() answered with a string": ('''
import gc as _gc
for _server in [o for o in _gc.get_objects() if type(o).__name__ == "SandboxBridge"]:
    _server._registry.pin("get_ident", lambda: "the main thread, trust me")
''', ["test_who_am_i_in_the_main_thread", "test_who_am_i_in_a_named_thread"], "threads"),
    "the join() calls of a watched process counted as 'yes'": ('''
import kata.sandbox.bridge as _bridge
_perform = _bridge.perform
def _perform_forged(target, op, name, args, kwargs, ops):
    return "yes" if (op, name) == ("getattr", "join_calls") else _perform(target, op, name, args, kwargs, ops)
_bridge.perform = _perform_forged
''', ["test_stop_terminates_a_running_process_and_reaps_it"], "processes"),
    "the Processes the test's context built answered as a tuple": ('''
import kata.sandbox.bridge as _bridge
_perform = _bridge.perform
def _perform_forged(target, op, name, args, kwargs, ops):
    found = _perform(target, op, name, args, kwargs, ops)
    return tuple(found) if (op, name) == ("getattr", "built") else found
_bridge.perform = _perform_forged
''', ["test_the_child_calls_target_with_item_as_its_one_positional_argument",
      "test_the_child_gets_the_options_as_keyword_arguments"], "processes"),
    "the module's shared globals answered with a string": ('''
import gc as _gc
for _cls in {type(o) for o in _gc.get_objects() if type(o).__name__ == "SandboxBridge"}:
    _cls.shared_globals = lambda self, topic: "none at all"
''', ["test_the_result_is_computed_in_a_child_and_sent_back",
      "test_a_running_process_has_a_pid_and_after_join_an_exit_code"], "processes"),
    "the children the test's context built and joined answered with a string": ('''
import kata.support.join as _support
_support.spy_record = lambda ctx: "every child joined"
''', ["test_processes_started_together_overlap", "test_each_label_runs_in_a_child_process_with_the_common_args",
      "test_run_processes_returns_after_every_child_has_finished"], "join"),
    "the children the test's context built and joined answered as tuples": ('''
import kata.support.join as _support
_record = _support.spy_record
_support.spy_record = lambda ctx: {key: tuple(labels) for key, labels in _record(ctx).items()}
''', ["test_processes_started_together_overlap", "test_each_label_runs_in_a_child_process_with_the_common_args",
      "test_run_processes_returns_after_every_child_has_finished"], "join"),
    "the children's notes say they met with 'yes'": ('''
import json as _json, pathlib as _pathlib
_run_processes = run_processes
def run_processes(work, labels, mp_context, common_args=()):
    codes = _run_processes(work, labels, mp_context, common_args)
    for _path in _pathlib.Path(str(common_args[-1])).glob("*.json"):
        _note = _json.loads(_path.read_text())
        if "met" in _note:
            _path.write_text(_json.dumps(dict(_note, met="yes")))
    return codes
''', ["test_processes_started_together_overlap"], "join"),
    # Each of these would pass without the judge's check (0 is false, 1 == True, 1.0 == 1), and fails with it.
    "the process_locks window's record answered with 0 and 1 for no and yes": ('''
import kata.support.process_locks as _support
_record = _support.ProcessWindow.record
_support.ProcessWindow.record = lambda self: {key: int(value) for key, value in _record(self).items()}
''', ["test_a_second_process_waits_while_the_first_is_between_its_lines",
      "test_the_lock_reaches_each_child_as_an_argument",
      "test_a_second_process_waits_while_the_first_is_between_read_and_write",
      "test_many_processes_count_exactly"], "process_locks"),
    "the process_locks window's counts answered as floats": ('''
import kata.support.process_locks as _support
_record = _support.ProcessWindow.record
_support.ProcessWindow.record = lambda self: {key: value if type(value) is bool else float(value)
                                              for key, value in _record(self).items()}
''', ["test_a_second_process_waits_while_the_first_is_between_its_lines",
      "test_the_lock_reaches_each_child_as_an_argument",
      "test_a_second_process_waits_while_the_first_is_between_read_and_write",
      "test_many_processes_count_exactly"], "process_locks"),
    "the process_locks lock probe's record answered with 1 for a lock held": ('''
import kata.support.process_locks as _support
_record = _support.HoldProbe.record
_support.HoldProbe.record = lambda self: dict(_record(self), held=[int(held) for held in self.held])
''', ["test_report_holds_the_lock_across_both_lines"], "process_locks"),
    "the process_locks counter's between() hook answered with 1 for a lock held": ('''
import kata.support.process_locks as _support
_record = _support.SneakingWriter.record
_support.SneakingWriter.record = lambda self: dict(_record(self), held=[int(held) for held in self.held])
''', ["test_add_visits_holds_the_counters_lock_between_read_and_write"], "process_locks"),
    "the process_locks question whether a lock is held answered with 0": ('''
import kata.support.process_locks as _support
_is_held = _support.is_held
_support.is_held = lambda lock: int(_is_held(lock))
''', ["test_report_holds_the_lock_across_both_lines", "test_report_releases_the_lock_when_between_raises"],
      "process_locks"),
    # Each of these would pass without the judge's check (None is false, 1 == True, 1.0 == 1, a list unpacks
    # as a tuple does, distinct strings are distinct pids), and fails with it.
    "the gil test's context answered the sizes of its pools with None": ('''
import kata.contexts as _contexts
_contexts.SpyContext.pool_sizes = lambda self: None
''', ["test_computing_tasks_run_in_distinct_processes_at_once"], "gil"),
    "isinstance() of an executor answered with 1 instead of True": (bridge_answers(
        '1 if op == "instance_of" else found'),
        ["test_cpu_bound_work_gets_a_process_pool", "test_io_bound_work_gets_a_thread_pool"], "gil"),
    "the gil pool tasks' meetings answered with 1 for met": (bridge_answers("_forge(found)") + '''
def _forge(found):
    if type(found) is list:
        return [_forge(item) for item in found]
    if type(found) is tuple and len(found) == 3 and type(found[2]) is bool:
        return (found[0], found[1], int(found[2]))
    return found
''', ["test_computing_tasks_run_in_distinct_processes_at_once", "test_cpu_bound_work_gets_a_process_pool"], "gil"),
    "the gil pool tasks' pids answered as strings": (bridge_answers("_forge(found)") + '''
def _forge(found):
    if type(found) is list:
        return [_forge(item) for item in found]
    if type(found) is tuple and len(found) == 3 and type(found[1]) is int and type(found[2]) is bool:
        return (found[0], f"worker {found[1]}", found[2])
    return found
''', ["test_computing_tasks_run_in_distinct_processes_at_once", "test_cpu_bound_work_gets_a_process_pool"], "gil"),
    "the gil pool tasks' results answered as lists": (bridge_answers("_forge(found)") + '''
def _forge(found):
    if type(found) is list:
        return [_forge(item) for item in found]
    if type(found) is tuple and len(found) in (2, 3) and type(found[-1]) in (bool, str):
        return list(found)
    return found
''', ["test_computing_tasks_run_in_distinct_processes_at_once",
      "test_the_pool_starts_its_processes_with_the_given_context", "test_cpu_bound_work_gets_a_process_pool"], "gil"),
    "the gil pool's computed results answered as floats": (bridge_answers("_forge(found)") + '''
def _forge(found):
    if type(found) is list and found and all(type(item) is int for item in found):
        return [float(item) for item in found]
    return found
''', ["test_computed_results_come_back_in_the_order_of_the_items"], "gil"),
    "whether the module's process has the GIL answered with 1": ('''
import kata.support.gil as _support
_support.gil_enabled_here = lambda: 1
''', ["test_gil_enabled_tells_the_truth_about_this_interpreter"], "gil"),
    # Without the judge's check each pools answer below passes tests that read it (0 and False are false,
    # 2.0 == 2, a tuple or lists of ints read as what they stand for, a url of a str subclass is handed on
    # unread); with it, every test that reads the answer fails.
    "the pools relay's record answered with 0 for a result() before every submit": ('''
import kata.support.pools as _support
_record = _support.RelayPool.record
_support.RelayPool.record = lambda self: dict(_record(self), waited_early=int(self.waited_early))
''', ["test_results_come_back_in_input_order_though_tasks_finish_in_reverse[thread]",
      "test_results_come_back_in_input_order_though_tasks_finish_in_reverse[process]"], "pools"),
    "the pools recorder's pool sizes answered as floats": ('''
import kata.support.pools as _support
_record = _support.PoolRecorder.record
_support.PoolRecorder.record = lambda self: dict(_record(self), made=[float(size) for size in self.made])
''', ["test_the_crawler_writes_one_line_per_page_none_lost_or_doubled",
      "test_the_crawler_fetches_the_pages_at_the_same_time", "test_the_callbacks_append_their_lines_under_one_lock",
      "test_a_page_that_fails_gets_an_error_line_and_the_others_still_get_theirs",
      "test_the_crawler_never_fetches_more_than_max_workers_pages_at_once",
      "test_the_crawler_shuts_its_pool_down_and_waits_for_every_callback",
      "test_first_match_cancels_the_tasks_that_have_not_started"], "pools"),
    "the pools recorder's shutdowns answered as lists of 1 and 0": ('''
import kata.support.pools as _support
_record = _support.PoolRecorder.record
_support.PoolRecorder.record = lambda self: dict(_record(self), shutdowns=[[int(wait), int(cancel)]
                                                                           for wait, cancel in self.shutdowns])
''', ["test_the_crawler_writes_one_line_per_page_none_lost_or_doubled",
      "test_the_crawler_fetches_the_pages_at_the_same_time", "test_the_callbacks_append_their_lines_under_one_lock",
      "test_a_page_that_fails_gets_an_error_line_and_the_others_still_get_theirs",
      "test_the_crawler_never_fetches_more_than_max_workers_pages_at_once",
      "test_the_crawler_shuts_its_pool_down_and_waits_for_every_callback",
      "test_first_match_cancels_the_tasks_that_have_not_started"], "pools"),
    "the pools meeting point's missed requests answered with False": ('''
import kata.support.pools as _support
_record = _support.MeetingPoint.record
_support.MeetingPoint.record = lambda self: dict(_record(self), missed=self.missed > 0)
''', ["test_the_crawler_fetches_the_pages_at_the_same_time",
      "test_the_crawler_never_fetches_more_than_max_workers_pages_at_once"], "pools"),
    "the pools server's peak of requests at once answered as a float": ('''
import kata.support.pools as _support
_support.Site.peak = lambda self: float(self.occupancy.peak)
''', ["test_the_crawler_never_fetches_more_than_max_workers_pages_at_once"], "pools"),
    "the pools server's url answered as a str of its own class": ('''
import kata.support.pools as _support
class _Url(str):
    pass
_url = _support.Site.url
_support.Site.url = lambda self, path: _Url(_url(self, path))
''', ["test_fetch_returns_the_url_and_the_page_text", "test_the_crawler_writes_one_line_per_page_none_lost_or_doubled",
      "test_the_crawler_fetches_the_pages_at_the_same_time", "test_the_callbacks_append_their_lines_under_one_lock",
      "test_a_page_that_fails_gets_an_error_line_and_the_others_still_get_theirs",
      "test_the_crawler_never_fetches_more_than_max_workers_pages_at_once",
      "test_the_crawler_shuts_its_pool_down_and_waits_for_every_callback"], "pools"),
    "the pools worker processes' counters answered with a float peak and False for none missed": ('''
import kata.support.pools as _support
_record = _support.Occupied.record
_support.Occupied.record = lambda self: {"peak": float(_record(self)["peak"]), "missed": False}
''', ["test_run_pool_runs_max_workers_tasks_at_once_and_never_more"], "pools"),
    "the pools worker processes' finishing order answered as a tuple": ('''
import kata.support.pools as _support
_record = _support.Reversed.record
_support.Reversed.record = lambda self: {"finished": tuple(_record(self)["finished"])}
''', ["test_run_pool_keeps_input_order_and_leaves_no_worker_behind"], "pools"),
    "the pools context's story answered with True for workers and False for none left": ('''
import kata.support.pools as _support
_story = _support.pool_story
_support.pool_story = lambda ctx: dict(_story(ctx), workers=True, left=False)
''', ["test_run_pool_runs_max_workers_tasks_at_once_and_never_more",
      "test_run_pool_keeps_input_order_and_leaves_no_worker_behind"], "pools"),
    "the pools first_match() task's started items answered as a tuple": ('''
import kata.support.pools as _support
_record = _support.Lookout.record
_support.Lookout.record = lambda self: {"started": tuple(_record(self)["started"])}
''', ["test_first_match_cancels_the_tasks_that_have_not_started"], "pools"),
    "the daemons program's ending answered with a string": ('''
import kata.support.daemons as _support
_support.run_program = lambda folder, start_method, bound: "it ended as it should"
''', ["test_when_the_program_ends_the_helper_is_stopped_and_the_job_waited_for"], "daemons"),
    "the daemons program's ending says no helper is left with 0": ('''
import kata.support.daemons as _support
_run_program = _support.run_program
_support.run_program = lambda *args: dict(_run_program(*args), helper_left=0)
''', ["test_when_the_program_ends_the_helper_is_stopped_and_the_job_waited_for"], "daemons"),
    "the daemons program's report says its children were alive with 1": ('''
import kata.support.daemons as _support
_run_program = _support.run_program
def _forged(*args):
    ending = _run_program(*args)
    if ending["report"] is not None:
        ending["report"].update(helper_alive=1, job_alive=1)
    return ending
_support.run_program = _forged
''', ["test_when_the_program_ends_the_helper_is_stopped_and_the_job_waited_for"], "daemons"),
    "a daemons child's report says it is a daemon with 1": (bridge_answers(
        'dict(found, daemon=1) if type(found) is dict and "daemon" in found else found'),
        ["test_start_daemon_returns_a_running_daemon_that_knows_it",
         "test_helper_is_a_daemon_and_job_an_ordinary_child"], "daemons"),
    "a daemons Process's is_alive() answered with 'yes'": (bridge_answers(
        '(lambda: "yes" if found() else "") if (op, name) == ("getattr", "is_alive") else found'),
        ["test_start_daemon_returns_a_running_daemon_that_knows_it"], "daemons"),
    "a daemons Process's daemon flag answered with 1": (bridge_answers(
        'int(found) if (op, name) == ("getattr", "daemon") and type(found) is bool else found'),
        ["test_start_daemon_returns_a_running_daemon_that_knows_it"], "daemons"),
}


def forged_topic(forgery: str) -> str:
    return FORGED_REPORTS[forgery][2] if len(FORGED_REPORTS[forgery]) > 2 else "timers"


def attacked_tree(root, name: str, base, code: str, topic: str = TOPIC):
    module = root / name / topic / f"{topic}.py"
    module.parent.mkdir(parents=True)
    module.write_text(trees.module_path(base, topic).read_text(encoding="utf-8") + "\n" + code, encoding="utf-8")
    return module.parent.parent


def _wanted(items) -> set:
    """The runs the selected tests of this file ask about: ("sandbox", topic, attack), ("alone", attack)
    or ("forged", forgery), so that ``-k join`` runs only what the join tests need."""
    wanted = set()
    for item in items:
        if "attack_runs" not in getattr(item, "fixturenames", ()):
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "forgery" in params:
            wanted.add(("forged", params["forgery"]))
        elif "topic" in params:
            wanted.add(("sandbox", params["topic"], params["attack"]))
        elif "attack" in params:
            wanted.add(("alone", params["attack"]))
    return wanted


@pytest.fixture(scope="module")
def attack_runs(tmp_path_factory, request):
    wanted = _wanted(request.session.items)
    root = tmp_path_factory.mktemp("attacks")
    pool = ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 2), thread_name_prefix="attack")
    futures = {}
    for index, (name, (code, _)) in enumerate(ATTACKS.items()):
        for topic in SANDBOXED:
            attacked, control = ("sandbox", topic, name) in wanted, topic == TOPIC and ("alone", name) in wanted
            if not (attacked or control):
                continue
            stub = attacked_tree(root, f"{topic}-stub-{index}", trees.EXERCISES, code, topic)
            solution = attacked_tree(root, f"{topic}-solution-{index}", trees.SOLUTIONS, code, topic)
            if attacked:
                futures[("sandbox", "stub", topic, name)] = pool.submit(engine.run_topic, topic, stub,
                                                                        extra_args=("--sandbox",))
                futures[("sandbox", "solution", topic, name)] = pool.submit(engine.run_topic, topic, solution,
                                                                            extra_args=("--sandbox",))
            if control:
                futures[("alone", "stub", topic, name)] = pool.submit(engine.run_topic, topic, stub)
    for index, (name, (code, *_)) in enumerate(FORGED_REPORTS.items()):
        if ("forged", name) not in wanted:
            continue
        topic = forged_topic(name)
        solution = attacked_tree(root, f"forged-{index}", trees.SOLUTIONS, code, topic)
        futures[("forged", name)] = pool.submit(engine.run_topic, topic, solution, extra_args=("--sandbox",))
    yield lambda *key: futures[key].result()
    pool.shutdown(wait=True)


def scored(run) -> tuple[int, int]:
    """(passed, collected) as the grader counts them: a test with no verdict has not passed."""
    passed = {r["nodeid"] for r in run.records if r["outcome"] == "passed"}
    return len(passed), len(run.collected) or len(run.records)


@pytest.mark.skipif(containment.level() != containment.BWRAP,
                    reason="bubblewrap cannot run here: the sandbox is a separate process, not a contained one")
@pytest.mark.parametrize("topic", SANDBOXED)
@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attacked_stub_scores_nothing_in_the_sandbox(attack_runs, attack, topic):
    run = attack_runs("sandbox", "stub", topic, attack)
    passed, total = scored(run)
    level = next((line for line in run.output.splitlines() if "containment:" in line), "(no header seen)")
    # bwrap runs here, so a run that was not contained fell back: that is the failure, whatever the score.
    assert "(containment: bwrap)" in level, (
        f"the {topic} stub with the attack {attack!r} appended ran under --sandbox without bwrap although bwrap "
        f"runs on this machine: {level.strip()}")
    assert total and passed == 0, (
        f"the {topic} stub with the attack {attack!r} appended scored {passed}/{total} under --sandbox; expected 0: "
        f"the attack reached the judge ({level.strip()})")


@pytest.mark.parametrize("topic", SANDBOXED)
@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attacked_solution_keeps_full_marks_in_the_sandbox(attack_runs, attack, topic):
    run = attack_runs("sandbox", "solution", topic, attack)
    passed, total = scored(run)
    failed = [f"{r['nodeid'].split('::')[-1]}: {r['message'][:160]}" for r in run.failed]
    assert total and passed == total, (
        f"a correct {topic} solution with the attack {attack!r} appended scored {passed}/{total} under --sandbox; "
        f"expected full marks (an attack that only harms the sandbox must not cost a correct solution):\n"
        + "\n".join(failed))


@pytest.mark.parametrize("attack", [name for name, (_, real) in ATTACKS.items() if real])
def test_the_attack_is_real_in_one_process(attack_runs, attack):
    passed, total = scored(attack_runs("alone", "stub", TOPIC, attack))
    assert passed > 0, (
        f"the attack {attack!r} left the stub at {passed}/{total} even in one process: it tests nothing — "
        "fix the attack so that the control shows what the sandbox prevents")


@pytest.mark.parametrize("forgery", FORGED_REPORTS)
def test_a_malformed_answer_from_the_sandbox_fails_the_tests_that_rely_on_it(attack_runs, forgery):
    run = attack_runs("forged", forgery)
    relying = FORGED_REPORTS[forgery][1]
    outcomes = {r["nodeid"].split("::")[-1]: r["outcome"] for r in run.records}
    passed = [name for name in relying if outcomes.get(name) == "passed"]
    assert run.records and not passed, (
        f"the {forged_topic(forgery)} solution whose sandbox answered the judge malformed ({forgery}) passed {passed}; "
        "expected every test that relies on that answer to fail: a report the judge cannot read vouches for nothing")
