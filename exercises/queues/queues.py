"""Queues: hand work from thread to thread in a chosen order.

Read exercises/queues/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/queues
"""
import collections  # noqa: F401  (a deque makes a good store for task 5)
import itertools  # noqa: F401  (itertools.count() makes a good tie-breaker for task 2)
import queue
import threading  # noqa: F401
from queue import Empty, Full  # noqa: F401  (the exceptions a drop-in for queue.Queue raises)

STOP = object()  # the sentinel: a consumer that gets it stops (given, nothing to do)


def make_queue(order, maxsize=0):
    """A standard-library queue for order "fifo", "lifo" or "priority", holding at most maxsize items.

    Any other order is a ValueError.
    """
    # TODO (task 1): pick queue.Queue, queue.LifoQueue or queue.PriorityQueue, and pass maxsize on.
    raise NotImplementedError("not implemented yet: make_queue — see exercises/queues/README.md, task 1")


def drain(q):
    """Take every item that is in q right now, in the order q gives them; never wait.

    Returns them as a list ([] for an empty queue).
    """
    # TODO (task 1): get_nowait() until it raises queue.Empty.
    raise NotImplementedError("not implemented yet: drain — see exercises/queues/README.md, task 1")


class PriorityInbox:
    """Items come out lowest priority number first; equal priorities in arrival order."""

    def __init__(self, maxsize=0):
        """An empty inbox holding at most maxsize items (0: no limit)."""
        # TODO (task 2): a queue.PriorityQueue, and a counter for the tie-breaker.
        raise NotImplementedError("not implemented yet: PriorityInbox() — see exercises/queues/README.md, task 2")

    def put(self, item, priority):
        """Add item with a priority number: the lower the number, the sooner it comes out."""
        # TODO (task 2): put a tuple that sorts by priority, then by arrival — never by the item.
        raise NotImplementedError("not implemented yet: PriorityInbox.put — see exercises/queues/README.md, task 2")

    def get(self, block=True, timeout=None):
        """Take the most urgent item; wait as queue.Queue.get does, raising queue.Empty."""
        # TODO (task 2): get the tuple and give back only the item.
        raise NotImplementedError("not implemented yet: PriorityInbox.get — see exercises/queues/README.md, task 2")

    def qsize(self):
        """How many items are waiting."""
        # TODO (task 2)
        raise NotImplementedError(
            "not implemented yet: PriorityInbox.qsize — see exercises/queues/README.md, task 2")


def consume(q, handle):
    """Get items from q and handle(item) each, until the STOP sentinel arrives.

    Calls q.task_done() once for every get(), after the work on that item,
    and once for the sentinel too.
    """
    # TODO (task 3): loop: get; on STOP, task_done and return; else handle, then task_done.
    raise NotImplementedError("not implemented yet: consume — see exercises/queues/README.md, task 3")


def run_pipeline(sources, handle, consumers=2, maxsize=0, queue_factory=queue.Queue):
    """One producer thread per source puts its items into one queue; consumer threads handle them.

    Make the queue with queue_factory(maxsize). Start `consumers` threads running
    consume(q, handle) and one producer thread per source (an iterable) putting
    each of its items. Returns when every item has been handled exactly once and
    every thread has finished.
    """
    # TODO (task 4): start consumers and producers; join the producers; then one STOP
    # per consumer; then join the consumers.
    raise NotImplementedError("not implemented yet: run_pipeline — see exercises/queues/README.md, task 4")


class Queue:
    """A drop-in for queue.Queue, built from one lock and Conditions that share it."""

    def __init__(self, maxsize=0):
        """An empty FIFO queue; maxsize > 0 bounds it, 0 or less means no bound.

        Keep maxsize in self.maxsize: code that uses a queue.Queue may read it (or even change it).
        """
        # TODO (task 5): self.maxsize, a deque for the items, a lock;
        # (task 6) Conditions on that lock; (task 7) a count of unfinished tasks.
        raise NotImplementedError("not implemented yet: Queue() — see exercises/queues/README.md, task 5")

    def qsize(self):
        """How many items are in the queue (already out of date when it returns)."""
        # TODO (task 5)
        raise NotImplementedError("not implemented yet: Queue.qsize — see exercises/queues/README.md, task 5")

    def empty(self):
        """Whether the queue holds no item right now."""
        # TODO (task 5)
        raise NotImplementedError("not implemented yet: Queue.empty — see exercises/queues/README.md, task 5")

    def full(self):
        """Whether a bounded queue holds maxsize items (or more, after maxsize shrank)."""
        # TODO (task 5): a queue with maxsize 0 (or less) is never full.
        raise NotImplementedError("not implemented yet: Queue.full — see exercises/queues/README.md, task 5")

    def put(self, item, block=True, timeout=None):
        """Add item at the back; wait for room as queue.Queue.put does, raising queue.Full."""
        # TODO (task 5): block=False: add, or raise queue.Full at once.
        # TODO (task 6): block=True: wait for room (forever, or at most timeout seconds, then
        # queue.Full; a negative timeout is a ValueError), and wake a waiting get().
        raise NotImplementedError("not implemented yet: Queue.put — see exercises/queues/README.md, task 5")

    def get(self, block=True, timeout=None):
        """Remove and return the front item; wait for one as queue.Queue.get does, raising queue.Empty."""
        # TODO (task 5): block=False: take the front item, or raise queue.Empty at once.
        # TODO (task 6): block=True: wait for an item (forever, or at most timeout seconds, then
        # queue.Empty; a negative timeout is a ValueError), and wake a waiting put().
        raise NotImplementedError("not implemented yet: Queue.get — see exercises/queues/README.md, task 5")

    def put_nowait(self, item):
        """put(item, block=False)."""
        # TODO (task 5)
        raise NotImplementedError("not implemented yet: Queue.put_nowait — see exercises/queues/README.md, task 5")

    def get_nowait(self):
        """get(block=False)."""
        # TODO (task 5)
        raise NotImplementedError("not implemented yet: Queue.get_nowait — see exercises/queues/README.md, task 5")

    def task_done(self):
        """Say that the work on one item taken with get() is finished."""
        # TODO (task 7): one fewer unfinished task; ValueError if there was none; wake join() at 0.
        raise NotImplementedError("not implemented yet: Queue.task_done — see exercises/queues/README.md, task 7")

    def join(self):
        """Wait until every item ever put has been matched by a task_done()."""
        # TODO (task 7): wait on a Condition until the unfinished count is 0.
        raise NotImplementedError("not implemented yet: Queue.join — see exercises/queues/README.md, task 7")
