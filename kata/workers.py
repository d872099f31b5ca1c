"""Run a call in a helper thread that a test can wait for with a hang bound.

The thread is a daemon, so a call that never returns (a student's deadlock)
cannot keep the interpreter alive; its result or exception is kept for the
test to inspect, instead of surfacing as an unhandled-thread warning.
Waiting for it is a kata wait: the stall detector ends it early when nobody
can move (``stalled`` then tells the test so).
"""
from __future__ import annotations

import threading

from kata import bounds, stall


class Worker:
    def __init__(self, target, *args, name: str | None = None, cond: threading.Condition | None = None,
                 **kwargs) -> None:
        self._call = (target, args, kwargs)
        self.cond = cond or threading.Condition()
        self.done = False  # True (and the condition's waiters woken) once the result or error is stored
        self.stalled = False  # a wait for this worker was ended early: it could never have finished
        self.spun = False  # a wait for this worker was ended early: a thread of the test spins instead
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        target, args, kwargs = self._call
        try:
            self.result = target(*args, **kwargs)
        except BaseException as exc:  # kept for the test, which decides what it means
            self.error = exc
        finally:
            with self.cond:
                self.done = True
                self.cond.notify_all()

    def start(self) -> Worker:
        self.thread.start()
        return self

    def finished(self, timeout: float = bounds.HANG, until=None) -> bool:
        """Wait up to ``timeout``; True if the call has returned or raised.

        ``until()``, if given, ends the wait early too when it turns true (whoever makes it true
        notifies ``cond``).
        """
        what = f"waits for {self.thread.name!r} to finish"
        with self.cond:
            stall.wait_for(self.cond, lambda: self.done or (until is not None and until()), timeout, what)
            done = self.done
        if not done:
            self.stalled = self.stalled or stall.was_cut()
            self.spun = self.spun or stall.was_spun()
            return False
        self.thread.join(bounds.HANG)  # only the thread's last lines are left
        return not self.thread.is_alive()

    def outcome(self):
        """The call's result; its exception re-raised here, in the test's thread."""
        if self.error is not None:
            raise self.error
        return self.result


class TrackedWorker(Worker):
    """A Worker whose ``done`` wakes the waiters of a condition shared with other probes.

    (Inside the call the thread is still alive, and a result read then would be missing.)
    """

    def __init__(self, cond: threading.Condition, target, *args, name: str | None = None, **kwargs) -> None:
        super().__init__(target, *args, name=name, cond=cond, **kwargs)


HANG_HINT = ": is something waiting forever (a lock never released, a thread never finished)?"


def run_bounded(target, *args, timeout: float = bounds.HANG, what: str = "the call", hint: str = HANG_HINT,
                **kwargs):
    """Call target in a worker; fail the test with a message (``what`` + ``hint``) if it does not return in time."""
    import pytest

    worker = Worker(target, *args, name=what, **kwargs).start()
    if not worker.finished(timeout):
        if worker.spun:
            pytest.fail(f"{what} did not return: a thread of the test keeps running, or sleeping, in your module "
                        f"while nothing happens (see below){hint}", pytrace=False)
        if worker.stalled:
            pytest.fail(f"{what} can never return: nobody in the test could move (see the picture below)"
                        f"{hint}", pytrace=False)
        pytest.fail(f"{what} did not return within {timeout:g} s{hint}", pytrace=False)
    return worker.outcome()
