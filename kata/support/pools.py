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

Under --sandbox a test takes these probes, the page server and the pools it
hands the code under test from the sandbox's own import of this module
(kata.boundary.support), where the module runs its pools, its tasks and its
children; what they saw reaches the judge as records of plain data
(``record()``), which the test takes only when well formed (``checked``).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

from kata import bounds, stall
from kata.httpserver import PageServer
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

    def record(self) -> dict:
        """What the relay saw, as plain data (the shape is RELAY_RECORD)."""
        with self._cond:
            return {"waited_early": self.waited_early, "completion_order": list(self.completion_order),
                    "timeline": self.timeline.render()}

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

    def record(self) -> dict:
        """What the pools made here went through, as plain data (the shape is RECORDER_RECORD)."""
        with self._lock:
            return {"made": list(self.made), "shutdowns": [(bool(wait), bool(cancel)) for wait, cancel in self.shutdowns]}

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

    def __init__(self) -> None:
        self.pools: list = []
        original = self._original = ProcessPoolExecutor.__init__

        def recording_init(pool, *args, **kwargs):
            self.pools.append(pool)
            original(pool, *args, **kwargs)

        ProcessPoolExecutor.__init__ = recording_init

    def close(self) -> None:
        ProcessPoolExecutor.__init__ = self._original
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self.pools.clear()


class PretendCpus:
    """os.cpu_count() (and os.process_cpu_count(), 3.13+) say ``count`` in this process until close().

    A pool made without max_workers takes its size from them: a test that fixes
    them gives the same verdict on every machine.
    """

    def __init__(self, count: int) -> None:
        self._saved = {name: getattr(os, name) for name in ("cpu_count", "process_cpu_count") if hasattr(os, name)}
        for name in self._saved:
            setattr(os, name, lambda: count)

    def close(self) -> None:
        for name, function in self._saved.items():
            setattr(os, name, function)


def thread_pool(max_workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max_workers)


def process_pool(max_workers: int, mp_context) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context)


# -- the page server and the requests it holds -------------------------------------

class MeetingPoint:
    """A server hook: requests wait until ``parties`` are in at once (or OVERLAP passes), drawn on a timeline."""

    def __init__(self, parties: int, over: int | None = None, short: float = 0.1) -> None:
        self.timeline = Timeline()
        self.meet = threading.Barrier(parties, timeout=bounds.OVERLAP)
        self.over = threading.Barrier(over, timeout=short) if over else None
        self.missed = 0
        self._lock = threading.Lock()

    def __call__(self, path) -> None:
        self.timeline.start(path)
        try:
            stall.barrier_wait(self.meet, "waits at the server for the other requests to come in at once")
        except threading.BrokenBarrierError:
            with self._lock:
                self.missed += 1
        if self.over is not None:
            try:
                self.over.wait()
            except threading.BrokenBarrierError:
                pass
        self.timeline.end(path)

    def close(self) -> None:
        """After the call: a request that comes now (a task let run by the release) must not wait here."""
        self.meet.abort()
        if self.over is not None:
            self.over.abort()

    def record(self) -> dict:
        """What the meeting point saw, as plain data (the shape is MEETING_RECORD)."""
        with self._lock:
            return {"missed": self.missed, "timeline": self.timeline.render()}


class Site(PageServer):
    """The PageServer a test crawls, which can hold its requests at a MeetingPoint (``meet``)."""

    def meet(self, parties: int, over: int | None = None, short: float = 0.1) -> MeetingPoint:
        self.on_request = MeetingPoint(parties, over, short)
        return self.on_request

    def release(self) -> None:
        """Let every request held at the meeting point go on (a stuck crawl must not keep the server waiting)."""
        if isinstance(self.on_request, MeetingPoint):
            self.on_request.close()

    def peak(self) -> int:
        """The most requests the server was handling at once."""
        return self.occupancy.peak


# -- process pools: what the tasks saw ---------------------------------------------

class Occupied:
    """The probes occupy() gets through the pool's initializer, made with the test's context."""

    def __init__(self, ctx, hang: float, short: float) -> None:
        self._inside, self._peak, self._missed = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0)
        meet = ctx.Barrier(2, timeout=hang)  # a second worker process may be slow to start
        over = ctx.Barrier(3, timeout=short)
        self.initargs = (ctx.Lock(), self._inside, self._peak, meet, over, self._missed)

    def record(self) -> dict:
        """The most tasks inside at once, and how many never met another (the shape is OCCUPIED_RECORD)."""
        return {"peak": self._peak.value, "missed": self._missed.value}


class Reversed:
    """The probes finish_in_reverse() gets: gates opened last item first, and the order the tasks finished."""

    def __init__(self, ctx, count: int) -> None:
        gates = [ctx.Event() for _ in range(count)]
        gates[-1].set()  # the last item may finish at once; each one before waits for the one after it
        self._order, self._count = ctx.Array("i", count), ctx.Value("i", 0)
        self.initargs = (gates, self._order, self._count, ctx.Lock())

    def record(self) -> dict:
        """The items in the order their tasks finished (the shape is REVERSED_RECORD)."""
        return {"finished": list(self._order[:self._count.value])}


def pool_story(ctx) -> dict:
    """What the test's SpyContext built for process pools, as plain data (the shape is POOL_STORY)."""
    workers = ctx.pool_workers()
    return {"workers": len(workers), "sizes": ctx.pool_sizes(),
            "left": sum(1 for worker in workers if worker.exitcode is None)}


# -- first_match(): the task that finds the match ---------------------------------------

class Lookout:
    """first_match()'s fn: notes every item started; "a" stays running until the caller has had its chance
    to cancel, and "b" matches once every item was submitted."""

    def __init__(self, recorder: PoolRecorder) -> None:
        self.recorder = recorder
        self.started: list = []
        self._lock = threading.Lock()

    def __call__(self, item):
        with self._lock:
            self.started.append(item)
        if item == "a":
            self.recorder.settled.wait(bounds.HANG)  # still running when the match is found
        if item == "b":
            self.recorder.all_submitted.wait(bounds.HANG)
            return "found b"
        return None

    def record(self) -> dict:
        """The items whose tasks started, in that order (the shape is LOOKOUT_RECORD)."""
        with self._lock:
            return {"started": list(self.started)}


# -- what the judge reads back ---------------------------------------------------------

RELAY_RECORD = {"waited_early": bool, "completion_order": [int], "timeline": str}
RECORDER_RECORD = {"made": [{int, type(None)}], "shutdowns": [(bool, bool)]}
MEETING_RECORD = {"missed": int, "timeline": str}
OCCUPIED_RECORD = {"peak": int, "missed": int}
REVERSED_RECORD = {"finished": [int]}
POOL_STORY = {"workers": int, "sizes": [int], "left": int}
LOOKOUT_RECORD = {"started": [str]}


def _fits(value, shape) -> bool:
    """A list shape holds items of its one shape, a tuple shape is a tuple item by item, a set any of its
    types; a type is that exact type (a bool is no int, an int no float)."""
    if type(shape) is list:
        return type(value) is list and all(_fits(item, shape[0]) for item in value)
    if type(shape) is tuple:
        return type(value) is tuple and len(value) == len(shape) and all(map(_fits, value, shape))
    if type(shape) is set:
        return type(value) in shape
    return type(value) is shape


def checked(record, shape: dict, what: str) -> dict:
    """``record`` if it is a dict with exactly ``shape``'s string keys, each value fitting its shape.

    Anything else is no record: the test that needed it fails, whatever it says.
    """
    if type(record) is not dict or any(type(key) is not str for key in record) or set(record) != set(shape) \
            or not all(_fits(record[key], kind) for key, kind in shape.items()):
        raise ValueError(f"{what} did not say what it saw (it answered {type(record).__name__})")
    return record


def checked_text(value, what: str) -> str:
    """A str from the sandbox (a url, a page), or the test fails."""
    if type(value) is not str:
        raise ValueError(f"{what} was not a string (it was a {type(value).__name__})")
    return value


def checked_count(value, what: str) -> int:
    if type(value) is not int:
        raise ValueError(f"{what} was not a whole number (it was a {type(value).__name__})")
    return value
