"""Run a call in a helper thread that a test can wait for with a hang bound.

The thread is a daemon, so a call that never returns (a student's deadlock)
cannot keep the interpreter alive; its result or exception is kept for the
test to inspect, instead of surfacing as an unhandled-thread warning.
"""
from __future__ import annotations

import threading

from kata import bounds


class Worker:
    def __init__(self, target, *args, name: str | None = None, **kwargs) -> None:
        self._call = (target, args, kwargs)
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        target, args, kwargs = self._call
        try:
            self.result = target(*args, **kwargs)
        except BaseException as exc:  # kept for the test, which decides what it means
            self.error = exc

    def start(self) -> Worker:
        self.thread.start()
        return self

    def finished(self, timeout: float = bounds.HANG) -> bool:
        """Wait up to ``timeout``; True if the call has returned or raised."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def outcome(self):
        """The call's result; its exception re-raised here, in the test's thread."""
        if self.error is not None:
            raise self.error
        return self.result


class TrackedWorker(Worker):
    """A Worker that sets ``done`` and wakes a condition's waiters once its result or error is stored.

    (Inside the call the thread is still alive, and a result read then would be missing.)
    """

    def __init__(self, cond: threading.Condition, target, *args, name: str | None = None, **kwargs) -> None:
        super().__init__(target, *args, name=name, **kwargs)
        self._cond = cond
        self.done = False

    def _run(self) -> None:
        try:
            super()._run()
        finally:
            with self._cond:
                self.done = True
                self._cond.notify_all()


HANG_HINT = ": is something waiting forever (a lock never released, a thread never finished)?"


def run_bounded(target, *args, timeout: float = bounds.HANG, what: str = "the call", hint: str = HANG_HINT,
                **kwargs):
    """Call target in a worker; fail the test with a message (``what`` + ``hint``) if it does not return in time."""
    import pytest

    worker = Worker(target, *args, name=what, **kwargs).start()
    if not worker.finished(timeout):
        pytest.fail(f"{what} did not return within {timeout:g} s{hint}", pytrace=False)
    return worker.outcome()
