"""Queues: hand work from thread to thread in a chosen order.

Reference solution. Same public API as exercises/queues/queues.py.
"""
import collections
import itertools
import queue
import threading
from queue import Empty, Full  # the exceptions a drop-in for queue.Queue raises

STOP = object()  # the sentinel: a consumer that gets it stops

ORDERS = {"fifo": queue.Queue, "lifo": queue.LifoQueue, "priority": queue.PriorityQueue}


def make_queue(order, maxsize=0):
    """A standard-library queue for order "fifo", "lifo" or "priority", holding at most maxsize items."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; expected one of {sorted(ORDERS)}")
    return ORDERS[order](maxsize)


def drain(q):
    """Take every item that is in q right now, in the order q gives them; never wait."""
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except Empty:
            return items


class PriorityInbox:
    """Items come out lowest priority number first; equal priorities in arrival order."""

    def __init__(self, maxsize=0):
        """An empty inbox holding at most maxsize items (0: no limit)."""
        self._queue = queue.PriorityQueue(maxsize)
        self._arrivals = itertools.count()

    def put(self, item, priority):
        """Add item with a priority number: the lower the number, the sooner it comes out."""
        self._queue.put((priority, next(self._arrivals), item))

    def get(self, block=True, timeout=None):
        """Take the most urgent item; wait as queue.Queue.get does, raising queue.Empty."""
        _priority, _arrival, item = self._queue.get(block, timeout)
        return item

    def qsize(self):
        """How many items are waiting."""
        return self._queue.qsize()


def consume(q, handle):
    """Get items from q and handle(item) each, until the STOP sentinel arrives.

    Calls q.task_done() once for every get(), after the work on that item,
    and once for the sentinel too.
    """
    while True:
        item = q.get()
        if item is STOP:
            q.task_done()
            return
        try:
            handle(item)
        finally:
            q.task_done()


def run_pipeline(sources, handle, consumers=2, maxsize=0, queue_factory=queue.Queue):
    """One producer thread per source puts its items into one queue; consumer threads handle them.

    Returns when every item has been handled exactly once and every thread has finished.
    """
    q = queue_factory(maxsize)

    def produce(source):
        for item in source:
            q.put(item)

    workers = [threading.Thread(target=consume, args=(q, handle), name=f"consumer-{n}")
               for n in range(consumers)]
    producers = [threading.Thread(target=produce, args=(source,), name=f"producer-{n}")
                 for n, source in enumerate(sources)]
    for thread in workers + producers:
        thread.start()
    for thread in producers:
        thread.join()
    q.join()  # every item put so far has been handled
    for _ in workers:
        q.put(STOP)  # one sentinel per consumer: each stops at the first it gets
    for thread in workers:
        thread.join()


class Queue:
    """A drop-in for queue.Queue, built from one lock and Conditions that share it."""

    def __init__(self, maxsize=0):
        """An empty FIFO queue; maxsize > 0 bounds it, 0 or less means no bound."""
        self.maxsize = maxsize
        self._items = collections.deque()
        self._unfinished = 0
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._all_done = threading.Condition(self._lock)

    def qsize(self):
        """How many items are in the queue (already out of date when it returns)."""
        with self._lock:
            return len(self._items)

    def empty(self):
        """Whether the queue holds no item right now."""
        with self._lock:
            return not self._items

    def full(self):
        """Whether a bounded queue holds maxsize items (or more, after maxsize shrank)."""
        with self._lock:
            return 0 < self.maxsize <= len(self._items)

    def _has_room(self):
        return self.maxsize <= 0 or len(self._items) < self.maxsize

    def put(self, item, block=True, timeout=None):
        """Add item at the back; wait for room as queue.Queue.put does, raising queue.Full."""
        with self._not_full:
            if not block:
                if not self._has_room():
                    raise Full
            elif timeout is None:
                self._not_full.wait_for(self._has_room)
            elif timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            elif not self._not_full.wait_for(self._has_room, timeout):
                raise Full
            self._items.append(item)
            self._unfinished += 1
            self._not_empty.notify()

    def get(self, block=True, timeout=None):
        """Remove and return the front item; wait for one as queue.Queue.get does, raising queue.Empty."""
        with self._not_empty:
            if not block:
                if not self._items:
                    raise Empty
            elif timeout is None:
                self._not_empty.wait_for(lambda: self._items)
            elif timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            elif not self._not_empty.wait_for(lambda: self._items, timeout):
                raise Empty
            item = self._items.popleft()
            self._not_full.notify()
            return item

    def put_nowait(self, item):
        """put(item, block=False)."""
        self.put(item, block=False)

    def get_nowait(self):
        """get(block=False)."""
        return self.get(block=False)

    def task_done(self):
        """Say that the work on one item taken with get() is finished."""
        with self._all_done:
            if self._unfinished <= 0:
                raise ValueError("task_done() called too many times")
            self._unfinished -= 1
            if self._unfinished == 0:
                self._all_done.notify_all()

    def join(self):
        """Wait until every item ever put has been matched by a task_done()."""
        with self._all_done:
            self._all_done.wait_for(lambda: self._unfinished == 0)
