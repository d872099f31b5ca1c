"""Mistakes students make with queues; each must fail tests/exercises/queues with a message naming it."""
from kata.mistakes import Mistake

MISTAKES = (
    Mistake(
        name="lifo-that-is-fifo",
        edits=(('"lifo": queue.LifoQueue', '"lifo": queue.Queue'),),
        expect="this LIFO is a FIFO",
    ),
    Mistake(
        name="maxsize-not-passed-on",
        edits=(("    return ORDERS[order](maxsize)\n", "    return ORDERS[order]()\n"),),
        expect="pass maxsize on to the queue class",
    ),
    Mistake(
        name="drain-with-a-blocking-get",
        edits=(("            items.append(q.get_nowait())\n", "            items.append(q.get())\n"),),
        expect="take items with get_nowait()",
    ),
    Mistake(
        name="reversed-priority-tuple",
        edits=(
            ("        self._queue.put((priority, next(self._arrivals), item))\n",
             "        self._queue.put((item, next(self._arrivals), priority))\n"),
            ("        _priority, _arrival, item = self._queue.get(block, timeout)\n",
             "        item, _arrival, _priority = self._queue.get(block, timeout)\n"),
        ),
        expect="reversed priority tuple",
    ),
    Mistake(
        name="no-tie-breaker",
        edits=(
            ("        self._queue.put((priority, next(self._arrivals), item))\n",
             "        self._queue.put((priority, item))\n"),
            ("        _priority, _arrival, item = self._queue.get(block, timeout)\n",
             "        _priority, item = self._queue.get(block, timeout)\n"),
        ),
        expect="add a tie-breaker",
    ),
    Mistake(
        name="tie-breaker-newest-first",
        edits=(("        self._queue.put((priority, next(self._arrivals), item))\n",
                "        self._queue.put((priority, -next(self._arrivals), item))\n"),),
        expect="equal priorities came out newest first",
    ),
    Mistake(
        name="task-done-never-called",
        edits=(("""        if item is STOP:
            q.task_done()
            return
        try:
            handle(item)
        finally:
            q.task_done()
""", """        if item is STOP:
            return
        handle(item)
"""),),
        expect="task_done not called",
    ),
    Mistake(
        name="task-done-skipped-for-the-sentinel",
        edits=(("""        if item is STOP:
            q.task_done()
            return
""", """        if item is STOP:
            return
"""),),
        expect="not for the sentinel",
    ),
    Mistake(
        name="task-done-before-the-work",
        edits=(("""        try:
            handle(item)
        finally:
            q.task_done()
""", """        q.task_done()
        handle(item)
"""),),
        expect="task_done() before handle() had finished",
    ),
    Mistake(
        name="one-sentinel-for-all-consumers",
        edits=(("""    for _ in workers:
        q.put(STOP)""", """    q.put(STOP)  # the consumers will all see it"""),),
        expect="put one sentinel per consumer",
    ),
    Mistake(
        name="sentinels-before-the-producers-finish",
        edits=(("""    for thread in producers:
        thread.join()
    q.join()  # every item put so far has been handled
""", ""),),
        expect="put the sentinels only after every producer has finished",
    ),
    Mistake(
        name="queue-that-is-a-stack",
        edits=(("            item = self._items.popleft()\n", "            item = self._items.pop()\n"),),
        expect="this Queue is a stack",
    ),
    Mistake(
        name="put-that-does-not-block-on-maxsize",
        edits=(("        return self.maxsize <= 0 or len(self._items) < self.maxsize\n",
                "        return True\n"),),
        expect="put that doesn't block on maxsize",
    ),
    Mistake(
        name="put-without-notify",
        edits=(("            self._unfinished += 1\n            self._not_empty.notify()\n",
                "            self._unfinished += 1\n"),),
        expect="notify missing",
    ),
    Mistake(
        name="get-timeout-never-ends",
        edits=(("            elif not self._not_empty.wait_for(lambda: self._items, timeout):\n",
                "            elif not self._not_empty.wait_for(lambda: self._items):\n"),),
        expect="it never times out",
    ),
    Mistake(
        name="get-timeout-raises-the-wrong-exception",
        edits=(("""            elif not self._not_empty.wait_for(lambda: self._items, timeout):
                raise Empty
""", """            elif not self._not_empty.wait_for(lambda: self._items, timeout):
                raise TimeoutError("no item came in time")
"""),),
        expect="raises the wrong exception",
    ),
    Mistake(
        name="join-waits-for-an-empty-queue",
        edits=(("            self._all_done.wait_for(lambda: self._unfinished == 0)\n",
                "            self._all_done.wait_for(lambda: not self._items)\n"),),
        expect="not until the queue is empty",
    ),
    Mistake(
        name="task-done-without-notify",
        edits=(("""            if self._unfinished == 0:
                self._all_done.notify_all()
""", ""),),
        expect="task_done() must notify_all()",
    ),
    Mistake(
        name="qsize-counts-unfinished-tasks",
        edits=(("""        with self._lock:
            return len(self._items)
""", """        with self._lock:
            return self._unfinished
"""),),
        expect="not the tasks not yet marked done",
    ),
    Mistake(
        name="empty-counts-unfinished-tasks",
        edits=(("""        with self._lock:
            return not self._items
""", """        with self._lock:
            return self._unfinished == 0
"""),),
        expect="not the tasks not yet marked done",
    ),
    Mistake(
        name="pipeline-queue-made-without-the-factory",
        edits=(('    q = queue_factory(maxsize)\n',
                '    q = queue.Queue(maxsize)\n'),),
        expect="the test needs queue_factory to see",
    ),
    Mistake(
        name="consumers-never-joined",
        edits=(("""        q.put(STOP)  # one sentinel per consumer: each stops at the first it gets
    for thread in workers:
        thread.join()
""", """        q.put(STOP)  # one sentinel per consumer: each stops at the first it gets
"""),),
        expect="join every consumer thread",
    ),
    Mistake(
        name="get-without-notify",
        edits=(("""            item = self._items.popleft()
            self._not_full.notify()
""", """            item = self._items.popleft()
"""),),
        expect="notify missing",
    ),
    Mistake(
        name="task-done-wakes-only-one-joiner",
        edits=(("                self._all_done.notify_all()\n", "                self._all_done.notify()\n"),),
        expect="notify() wakes only one waiter",
    ),
    Mistake(
        name="get-waits-under-if-not-while",
        edits=(("""            elif timeout is None:
                self._not_empty.wait_for(lambda: self._items)
""", """            elif timeout is None:
                if not self._items:
                    self._not_empty.wait()
"""),),
        expect="wait in a while loop",
    ),
    Mistake(
        name="inbox-get-never-blocks-by-default",
        edits=(("    def get(self, block=True, timeout=None):\n        \"\"\"Take the most urgent item",
                "    def get(self, block=False, timeout=None):\n        \"\"\"Take the most urgent item"),),
        expect="get() with no arguments blocks until an item comes",
    ),
)
