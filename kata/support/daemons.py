"""Child-side probes for the daemons topic, and the script the tests run in a subprocess.

Targets are module-level so that spawn and forkserver children can import
them. The script test starts a whole small program (``python -c ...
script.py``) because "a daemon ends when the main program ends" is about the
end of a program, which a test cannot stage inside its own pytest process.

Under --sandbox a test takes the targets, the clean-up and the program's run
from the sandbox's own import of this module (kata.boundary.support), so the
children and the program are started where the code under test runs; what
the judge reads back (a child's report, how the program ended) it takes only
when well formed (``checked_report``, ``checked_ending``).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from kata import stall, stall_child, stall_tree
from kata.support import processes
from kata.support.processes import CHILD_BOUND

cleanup = processes.cleanup  # kill and join what a test started; taken from here where the children run

POLL = 0.01  # how often the job looks whether the helper is gone (in the child; costs a correct run ~10 ms)


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process: one that has ended (a zombie not yet reaped) does not count."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def report(reply, release, *args):
    """Tell the parent who we are, whether we are a daemon and what we got; stay until ``release``."""
    me = multiprocessing.current_process()
    reply.put({"pid": os.getpid(), "daemon": me.daemon, "args": args})
    # Held past the test's bound on the call that started it (CHILD_BOUND): a child that code joins
    # before returning is still held when the test gives up, never let go just in time to pass.
    stall_child.event_wait(release, 2 * CHILD_BOUND, "waits for the test to let it go")


def serve_forever(pid_box, started):
    """The helper: publish our pid, say we run, then idle until somebody ends us."""
    pid_box.value = os.getpid()
    started.set()
    threading.Event().wait()  # killed by the program's end (a daemon) or by the test's clean-up


def outlive(pid_box, started, job_started, marker, program):
    """The job: wait until the helper is gone and the program joins its children, then write ``marker``.

    ``job_started`` tells the program that the job runs: under spawn a child
    that is still unpickling its arguments when the main code ends can find
    their semaphores already unlinked by the program's exit, so the program
    waits for this before its main code ends.

    At its end a program terminates every daemon child, one after another,
    and only then joins them all. A job that is wrongly a daemon is
    terminated just after the helper, and could write its marker in between;
    so the job also waits until ``program`` (the main process's pid) sleeps
    in a join, past the last terminate, and a daemon job is dead by then.
    """
    started.wait()
    helper = pid_box.value
    job_started.set()
    if not _wait_for_the_end_of(helper, CHILD_BOUND * 2):
        deadline = time.monotonic() + CHILD_BOUND * 2
        while running(helper) and time.monotonic() < deadline:
            time.sleep(POLL)
    state = "alive" if running(helper) else "gone"
    _wait_until_joining(program, CHILD_BOUND * 2)
    Path(marker).write_text(f"helper {helper} {state}", encoding="utf-8")


def _wait_until_joining(program: int, timeout: float) -> None:
    """Poll until the main thread of ``program`` sleeps in a wait for a child (wait4, or a poll on sentinels).

    Its main code never waits so, since the script joins nothing; where /proc
    cannot say (not Linux), this returns at once.
    """
    deadline = time.monotonic() + timeout
    while (sleep := stall_tree.read(program, program)) is not None and time.monotonic() < deadline:
        if sleep.reaps is not None or sleep.pipes is not None or sleep.ends:
            return
        time.sleep(POLL)


def _wait_for_the_end_of(pid: int, timeout: float) -> bool:
    """Wait until process ``pid`` ends, or ``timeout``; False when this system cannot wait so (then poll).

    No polling loop: a thread waits on the process's pidfd without a timeout and the
    caller waits for that thread with one, so while both sleep the stall detector can
    see that only the end of ``pid`` (a process of the test's tree) could wake them.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except AttributeError:
        return False  # not Linux, or Python without pidfd_open
    except ProcessLookupError:
        return True  # already gone
    except OSError:
        return False
    ended = threading.Event()

    def watch():
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.poll()
        finally:
            os.close(pidfd)
            ended.set()

    threading.Thread(target=watch, name="kata-helper-watch", daemon=True).start()
    stall_child.event_wait(ended, timeout, "waits for the helper to end")
    return True


SCRIPT = '''\
import json
import multiprocessing as mp
import os
import sys
import traceback

from kata.impl.daemons import daemons
from kata.support import daemons as probe

if __name__ == "__main__":
    ctx = mp.get_context()  # the start method chosen on the command line
    pid_box, started, job_started = ctx.Value("i", 0), ctx.Event(), ctx.Event()
    job_args = (pid_box, started, job_started, {marker!r}, os.getpid())
    try:
        helper, job = daemons.start_helper_and_job(ctx, probe.serve_forever, (pid_box, started), probe.outlive,
                                                   job_args)
    except Exception:
        open({raised!r}, "w").close()  # no report can come now, whether or not the program can end
        sys.stderr.write(traceback.format_exc())  # as Python prints it, in one write, which wakes the test
        sys.stderr.flush()
        raise SystemExit(1)
    started.wait()  # no timeouts in the program: the test bounds it, and a stall in it is seen at once
    job_started.wait()
    with open({report!r}, "w") as out:
        json.dump({{"helper": helper.pid, "job": job.pid, "helper_alive": helper.is_alive(),
                   "job_alive": job.is_alive(), "helper_daemon": helper.daemon}}, out)
    print("main code ended", flush=True)  # wakes the test, which then reads the report
    # The main program's code ends here.
'''

LAUNCHER = ("import multiprocessing as mp, runpy, sys; mp.set_start_method(sys.argv[1]); "
            "runpy.run_path(sys.argv[2], run_name='__main__')")


class ScriptRun:
    """Run the daemons script under one start method, in its own session; always clean up after it."""

    def __init__(self, folder: Path, start_method: str) -> None:
        self.folder = Path(folder)
        self.start_method = start_method
        self.marker = self.folder / "job-finished.txt"
        self.report_path = self.folder / "main-code-ended.json"
        self.raised_path = self.folder / "main-code-raised"
        self.script = self.folder / "program.py"
        self.script.write_text(SCRIPT.format(marker=str(self.marker), report=str(self.report_path),
                                             raised=str(self.raised_path)),
                               encoding="utf-8")
        self.process: subprocess.Popen | None = None
        self.ended = False
        self.stalled = False  # the wait was ended early: no process of the program could ever move again
        self._changed = threading.Condition()  # the program wrote something, or ended
        self._threads: list[threading.Thread] = []

    def run(self, timeout: float = CHILD_BOUND, give_up=None) -> None:
        """Wait until the program ends, ``timeout`` passes, or ``give_up(report)`` says it never will.

        The wait also ends when the program's main code raised: no report can come then, and a
        non-daemon child it started may keep the program from ever ending.

        Nothing here polls: one thread copies the program's output (a pipe only the program's
        processes hold) and another waits for it to exit, so when every process of the program
        waits for ever the stall detector ends this wait at once, as if ``timeout`` had passed.
        """
        readable, writable = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, self.start_method, str(self.script)],
                cwd=self.folder, stdout=writable, stderr=subprocess.STDOUT, start_new_session=True)
        except BaseException:
            os.close(readable)
            raise
        finally:
            os.close(writable)
        self._threads = [threading.Thread(target=self._copy_output, args=(readable,), name="program output",
                                          daemon=True),
                         threading.Thread(target=self._reap, name="program exit", daemon=True)]
        for thread in self._threads:
            thread.start()
        with self._changed:
            stall.wait_for(self._changed, lambda: self.process.returncode is not None or self.raised_path.exists() or (
                give_up is not None and (report := self.report()) is not None and give_up(report)),
                timeout, "waits for the daemons program to end")
            self.ended = self.process.returncode is not None
        self.stalled = not self.ended and stall.was_cut()

    def _copy_output(self, readable: int) -> None:
        with open(readable, "rb", buffering=0) as pipe, open(self.folder / "output.txt", "wb") as output:
            while chunk := pipe.read(65536):  # until every process of the program has closed it
                output.write(chunk)
                output.flush()
                with self._changed:
                    self._changed.notify_all()

    def _reap(self) -> None:
        self.process.wait()
        with self._changed:
            self._changed.notify_all()

    def report(self) -> dict | None:
        try:
            return json.loads(self.report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def job_marker(self) -> str | None:
        try:
            return self.marker.read_text(encoding="utf-8")
        except OSError:
            return None

    def output(self) -> str:
        try:
            return (self.folder / "output.txt").read_text(encoding="utf-8", errors="replace")[-1500:]
        except OSError:
            return ""

    def cleanup(self) -> None:
        """Kill the script's whole process group and any child it reported, then reap the script."""
        report = self.report() or {}
        pids = [report[key] for key in ("helper", "job") if isinstance(report.get(key), int)]
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in pids:  # only what is still in the script's group: a reused pid is somebody else's
            try:
                if self.process is not None and os.getpgid(pid) == self.process.pid:
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.process is not None:
            self.process.wait(CHILD_BOUND)
        for thread in self._threads:  # the output pipe closes with the program's last process
            thread.join(CHILD_BOUND)


# -- what a test asks of the module where it runs, and reads back as plain data --------

class NoProcesses:
    """A stand-in context whose Process() stops the call at once: nothing is started."""

    class Asked(Exception):
        pass

    def Process(self, *args, **kwargs):  # noqa: N802 - the name a context's method has
        raise self.Asked


def try_without_processes(start_helper_and_job) -> None:
    """Call start_helper_and_job() with a context that starts nothing: an unfinished stub raises at once."""
    try:
        start_helper_and_job(NoProcesses(), print, (), print, ())
    except NoProcesses.Asked:
        pass


def run_program(folder, start_method: str, bound: float) -> dict:
    """Run the daemons program under ``start_method`` and say, as plain data, how it ended.

    The run stops waiting early when the program's own report shows it cannot
    end (its helper is not a daemon). Whatever happened, the program is gone
    when this returns.
    """
    program = ScriptRun(Path(folder), start_method)
    try:
        program.run(bound, give_up=lambda report: report.get("helper_daemon") is False)
        report, marker = program.report(), program.job_marker()
        helper_left = report is not None and running(report["helper"])
    finally:
        program.cleanup()
    return {"report": report, "marker": marker, "helper_left": helper_left, "ended": program.ended,
            "stalled": program.stalled, "output": program.output()}


REPORT_TYPES = {"helper": int, "job": int, "helper_alive": bool, "job_alive": bool, "helper_daemon": bool}
ENDING_TYPES = {"marker": (str, type(None)), "helper_left": (bool,), "ended": (bool,), "stalled": (bool,),
                "output": (str,)}


def checked_ending(ending) -> dict:
    """``ending`` from run_program(), if it is one: exactly its keys, each of its exact type, else ValueError."""
    if type(ending) is not dict or sorted(ending) != sorted([*ENDING_TYPES, "report"]) or any(
            type(ending[key]) not in kinds for key, kinds in ENDING_TYPES.items()):
        raise ValueError(f"the program's run could not say how the program ended "
                         f"(it answered {type(ending).__name__})")
    report = ending["report"]
    if report is not None and (type(report) is not dict or sorted(report) != sorted(REPORT_TYPES) or any(
            type(report[key]) is not kind for key, kind in REPORT_TYPES.items())):
        raise ValueError(f"the program's report of its main code's end is not one "
                         f"(it is {type(report).__name__})")
    return ending


def checked_report(heard, who: str) -> dict:
    """A child's report from report(), if it is one: its pid (int), daemon flag (bool) and args (tuple)."""
    if type(heard) is not dict or type(heard.get("pid")) is not int or type(heard.get("daemon")) is not bool \
            or type(heard.get("args")) is not tuple:
        raise ValueError(f"the {who} sent something that is not the test's report "
                         f"(a {type(heard).__name__}): put nothing of your own on the test's queue")
    return heard
