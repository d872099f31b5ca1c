"""Probes for the pools topic: executors that let a test see and steer what a pool does.

``RelayPool`` runs tasks on a real executor but hands out futures of its own,
and completes them in the order the test chooses (last input first). It sees
every ``result()`` call, so it knows whether the caller submitted everything
before waiting, and it completes the first input only once somebody waits for
a result: a caller that collects in completion order then gets the reversed
order every time, never by luck.

``PoolRecorder`` makes ``SpyPool`` executors (real ThreadPoolExecutors) that
record how they were made and shut down, and lets a test hold a finished task's
worker until the caller has cancelled what had not started.
"""
from __future__ import annotations

import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from kata import bounds, stall
from kata.timeline import Timeline


class _WatchedFuture(Future):
    def __init__(self, relay: RelayPool, index: int) -> None:
        super().__init__()
        self._relay = relay
        self.index = index

    def result(self, timeout=None):
        self._relay._result_called(self.index)
        return super().result(timeout)


class RelayPool(Executor):
    """An executor over ``real`` whose futures complete last-submitted first."""

    def __init__(self, real: Executor, count: int, patience: float = bounds.HANG) -> None:
        self.real = real
        self.count = count
        self.patience = patience  # how long to hold item 0 for a result() call before giving up
        self.timeline = Timeline()
        self.completion_order: list[int] = []
        self.waited_early = False  # result() was called before every item had been submitted
        self.stalled = False       # nobody ever waited for a result: the relay gave up holding item 0
        self._cond = threading.Condition()
        self._reals: list[Future] = []
        self._proxies: list[_WatchedFuture] = []
        self._released: set[int] = set()
        self._calls: list[int] = []
        self._stop = False
        self._driver = threading.Thread(target=self._drive, name="relay", daemon=True)
        self._driver.start()

    def submit(self, fn, /, *args, **kwargs):
        with self._cond:
            index = len(self._reals)
        real = self.real.submit(fn, *args, **kwargs)
        proxy = _WatchedFuture(self, index)
        proxy.set_running_or_notify_cancel()
        with self._cond:
            self._reals.append(real)
            self._proxies.append(proxy)
            self.timeline.start(f"item {index}")
            self._cond.notify_all()
        real.add_done_callback(lambda _: self._poke())
        return proxy

    def shutdown(self, wait=True, *, cancel_futures=False) -> None:
        pass  # the test owns the real pool and shuts it down

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        stall.join(self._driver, bounds.HANG, "waits for the pool probe's driver to end")

    def __exit__(self, *exc):
        self.close()
        return False

    # -- inside -----------------------------------------------------------

    def _poke(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _result_called(self, index: int) -> None:
        with self._cond:
            self._calls.append(index)
            if len(self._reals) < self.count:
                self.waited_early = True
            self._cond.notify_all()

    def _next(self):
        """The index to complete next, or None if it must wait."""
        pending = [i for i in range(len(self._reals)) if i not in self._released]
        if self.waited_early or self.stalled:
            done = [i for i in pending if self._reals[i].done()]
            return done[0] if done else None
        if len(self._reals) < self.count or not pending:
            return None
        last = pending[-1]
        if last == 0 and not self._calls:
            return None
        return last if self._reals[last].done() else None

    def _drive(self) -> None:
        while True:
            with self._cond:
                ready = stall.wait_for(self._cond, lambda: self._stop or self._next() is not None, self.patience,
                                       "holds back the pool's results in a forced order")
                if self._stop:
                    return
                if not ready:
                    self.stalled = True
                    continue
                index = self._next()
                self._released.add(index)
                real, proxy = self._reals[index], self._proxies[index]
            self.completion_order.append(index)
            self.timeline.end(f"item {index}")
            error = real.exception()
            if error is not None:
                proxy.set_exception(error)
            else:
                proxy.set_result(real.result())


class SpyPool(ThreadPoolExecutor):
    """A real ThreadPoolExecutor that reports to its recorder."""

    def __init__(self, recorder: PoolRecorder, *args, **kwargs) -> None:
        max_workers = kwargs.get("max_workers", args[0] if args else None)
        recorder.made.append(max_workers)
        super().__init__(*args, **kwargs)
        self._recorder = recorder

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        self._recorder._submitted(future)
        return future

    def shutdown(self, wait=True, *, cancel_futures=False) -> None:
        self._recorder._shutdown(wait, cancel_futures)
        super().shutdown(wait=wait, cancel_futures=cancel_futures)


class PoolRecorder:
    """Makes SpyPools (pass ``recorder.executor`` where code takes an executor factory) and keeps their story.

    With ``expect_cancelled=k``, a worker whose task finished is held in a done-callback
    until ``k`` futures were cancelled, or a shutdown without cancel_futures came:
    the caller then has its chance to cancel before that worker takes the next task.
    ``settled`` is set at that moment; tasks may wait for it too.
    """

    def __init__(self, expect_cancelled: int | None = None, expect_submitted: int | None = None) -> None:
        self.made: list = []          # max_workers of each pool made
        self.shutdowns: list[tuple[bool, bool]] = []  # (wait, cancel_futures) of each shutdown call
        self.cancelled = 0
        self.submitted = 0
        self.expect_cancelled = expect_cancelled
        self.expect_submitted = expect_submitted
        self.settled = threading.Event()
        self.all_submitted = threading.Event()
        self.pools: list[SpyPool] = []
        self.futures: list[Future] = []
        self._lock = threading.Lock()

    def executor(self, *args, **kwargs) -> SpyPool:
        pool = SpyPool(self, *args, **kwargs)
        with self._lock:
            self.pools.append(pool)
        return pool

    def release(self) -> None:
        """After the test: open every gate and cancel what is still queued, so no worker stays stuck.

        A wrong solution can leave pool threads waiting for tasks that will never
        run (a callback blocking on another future); concurrent.futures joins its
        threads at interpreter exit, so they must not be left waiting. Cancelling
        runs the caller's callbacks, which may block too: it happens in a daemon
        thread, last-submitted first, so the test's own thread never waits.
        """
        self.settled.set()
        self.all_submitted.set()
        threading.Thread(target=self._cancel_pending, name="pool-release", daemon=True).start()

    def _cancel_pending(self) -> None:
        with self._lock:
            futures, pools = list(self.futures), list(self.pools)
        for future in reversed(futures):
            future.cancel()
        for pool in pools:
            ThreadPoolExecutor.shutdown(pool, wait=False, cancel_futures=True)

    def _submitted(self, future: Future) -> None:
        if self.expect_cancelled is not None:
            future.add_done_callback(self._done)
        with self._lock:
            self.futures.append(future)
            self.submitted += 1
            if self.expect_submitted is not None and self.submitted >= self.expect_submitted:
                self.all_submitted.set()

    def _done(self, future: Future) -> None:
        if future.cancelled():
            with self._lock:
                self.cancelled += 1
                if self.cancelled >= self.expect_cancelled:
                    self.settled.set()
        else:
            self.settled.wait(bounds.HANG)

    def _shutdown(self, wait: bool, cancel_futures: bool) -> None:
        with self._lock:
            self.shutdowns.append((wait, cancel_futures))
        if not cancel_futures and self.expect_cancelled is not None:
            self.settled.set()  # nothing will be cancelled: let the workers go on


class ProcessPoolsMade:
    """Keeps every ProcessPoolExecutor made while it is installed, and shuts them down at the end.

    Holding them matters: a pool that nobody shut down and nobody refers to
    any more is shut down by its own manager thread soon after it is dropped,
    so whether its workers were still running when the call returned would be
    a matter of luck. Held, they run until the test looks.
    """

    def __init__(self, monkeypatch) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.pools: list = []
        original = ProcessPoolExecutor.__init__

        def recording_init(pool, *args, **kwargs):
            self.pools.append(pool)
            original(pool, *args, **kwargs)

        monkeypatch.setattr(ProcessPoolExecutor, "__init__", recording_init)

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self.pools.clear()
