"""pytest hooks for ``--sandbox``: the judge watches the sandbox from outside.

Registered by kata.pytest_plugin when the option is given. Before each
exercise test the sandbox's threads (from /proc) and children (psutil) are
noted; after it, whatever is new and still there fails the test, and a call
still running, a leftover or a reported thread exception makes the sandbox be
killed, so the next test starts with a fresh one. What the sandbox says about
itself only ever adds a failure (a thread's name, an exception in a thread, a
Process it never joined); its silence never removes one.
"""
from __future__ import annotations

import time

import pytest

from kata import registry
from kata.sandbox import SUPPORTED, session

GRACE = 1.0  # a thread finishing its last lines, a child not yet reaped
_BEFORE = pytest.StashKey[tuple]()
_PROBLEMS = pytest.StashKey[list]()


def _where() -> str:
    from kata.sandbox import containment

    return f"kata: the code under test runs in a sandbox process (containment: {containment.level()})"


class SandboxPlugin:
    def __init__(self, topic_of) -> None:
        self._topic_of = topic_of

    def pytest_report_header(self, config) -> list[str]:
        return [_where()]

    def pytest_terminal_summary(self, terminalreporter) -> None:
        # Also under -q, which shows no header: the grader and the self-checks read the level here.
        terminalreporter.write_line(_where())

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:  # (pytest's session, not the module)
        from kata.sandbox.session import prestart

        # Starting the sandbox (a Python, Pyro5, maybe bwrap) takes about as long as collecting a topic's
        # tests: do both at once. An xdist controller runs no test and starts none.
        config = session.config
        if hasattr(config, "workerinput") or getattr(config.option, "dist", "no") == "no":
            prestart()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items) -> None:
        topics = {self._topic_of(item) for item in items} - {None}
        unsupported = sorted(topics - SUPPORTED)
        if unsupported:
            supported = ", ".join(name for name in registry.names() if name in SUPPORTED)
            raise pytest.UsageError(
                f"--sandbox does not support the topic(s) {', '.join(unsupported)} yet "
                f"(supported: {supported}); run them without --sandbox")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item) -> None:
        if self._topic_of(item) is None:
            return
        sandbox = session.current()
        item.stash[_BEFORE] = (sandbox, sandbox.tasks(), {child.pid for child in sandbox.children()},
                               set(sandbox.reported_unjoined()))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        try:
            return (yield)
        finally:
            before = item.stash.get(_BEFORE, None)
            if before is not None:
                item.stash[_PROBLEMS] = self._after_test(*before)

    def _after_test(self, sandbox: session.Sandbox, tasks_before: dict, children_before: set,
                    unjoined_before: set) -> list[str]:
        problems = []
        if not sandbox.alive():
            problems.append(f"the sandbox process died during the test:\n{sandbox.log_tail()}")
        sandbox.peer.close_own_proxy()
        problems += self._leftover_threads(sandbox, tasks_before)
        unjoined = {pid: name for pid, name in sandbox.reported_unjoined().items() if pid not in unjoined_before}
        problems += self._leftover_children(sandbox, children_before, unjoined)
        for thread_name, error in list(sandbox.thread_errors):
            problems.append(f"thread {thread_name!r} raised {type(error).__name__}: {error}")
        in_flight = sandbox.peer.in_flight
        if in_flight:
            problems.append(f"{in_flight} call(s) into the code under test had not returned when the test ended")
        if problems or in_flight:
            session.discard()
        else:
            sandbox.reset()
        return problems

    def _leftover_threads(self, sandbox: session.Sandbox, tasks_before: dict) -> list[str]:
        deadline = time.monotonic() + GRACE
        while True:
            fresh = {inner for tid, inner in sandbox.tasks().items() if tid not in tasks_before}
            reported = sandbox.reported_threads()
            # A thread the sandbox does not vouch for as a daemon counts, named or not.
            suspects = {tid for tid in fresh if not reported.get(tid, ("", False))[1]}
            if not suspects or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        return [f"thread {reported[tid][0] if tid in reported else f'(unnamed, tid {tid})'!r} (non-daemon) "
                "is still running" for tid in sorted(suspects)]

    def _leftover_children(self, sandbox: session.Sandbox, children_before: set, unjoined: dict) -> list[str]:
        """The children still running after the test (killed now), and those the sandbox says it never joined.

        As in one process (kata.hygiene), a Process never joined fails the test even when it has ended.
        """
        import psutil

        fresh = [child for child in sandbox.children() if child.pid not in children_before]
        _, alive = psutil.wait_procs(fresh, timeout=GRACE) if fresh else ((), [])
        described, killed = [], set()
        for child in alive:
            inner = sandbox.inner_pid(child.pid)
            try:
                if child.status() == psutil.STATUS_ZOMBIE:  # it has ended; only its parent can reap it
                    continue
                name = child.name()
                child.kill()
            except psutil.Error:
                continue
            killed.add(inner)
            if inner not in unjoined:
                described.append(f"child process pid {child.pid} ({name}) was still running and has been killed")
        described += [f"child process {name} (pid {pid}) was never joined: it "
                      f"{'was still running and has been killed' if pid in killed else 'had ended'}"
                      for pid, name in sorted(unjoined.items())]
        return described

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        problems = item.stash.get(_PROBLEMS, None)
        if call.when == "teardown" and problems:
            report.outcome = "failed"
            report.longrepr = ("this test left work running after it ended (in the sandbox):\n"
                               + "\n".join(f"  - {p}" for p in problems)
                               + "\nhint: join every thread and process you start (or use a with-block for "
                                 "pools), and let no exception escape a thread")
        return report

    def pytest_unconfigure(self, config) -> None:
        session.discard(orderly=False)  # the run is over: the judge's server ends with this process
