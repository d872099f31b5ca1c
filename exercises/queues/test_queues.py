"""Tests for exercises/queues — one group per task in README.md.

Nothing here waits and hopes. To prove that a call blocks, a trigger (as in
CPython's test_queue) first waits until the blocked thread is seen asleep in a
Condition wait, then makes room or adds an item: a call that never waited
comes back before the trigger, every time. Pipelines run on a queue that
records every put, get and task_done, and a gated producer holds back its last
item until the pipeline has committed to its order of events.
"""
import collections
import queue
import sys
import threading

import pytest

from kata import bounds, stall
from kata.expect import raises
from kata.frames import frame_of
from kata.probes_join import JoinGate
from kata.seam import topic_fixture
from kata.support.queues import SpyQueue, asleep, block_then_trigger, parked, wait_until
from kata.workers import Worker, run_bounded

queues = topic_fixture("queues")


# -- task 1: FIFO, LIFO and priority order --------------------------------------

def everything_in(q):
    """What q hands out, without waiting (the tests' own drain, so one bug fails one test)."""
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items


@pytest.mark.task(1)
def test_a_fifo_queue_gives_items_back_in_the_order_they_went_in(queues):
    q = queues.make_queue("fifo")
    for item in ("first", "second", "third"):
        q.put(item)
    got = everything_in(q)
    assert got == ["first", "second", "third"], (
        f"make_queue('fifo'): put 'first', 'second', 'third' gave {got!r}; expected them in the "
        "order they went in — a FIFO is queue.Queue")
    assert q.maxsize == 0, (
        f"make_queue('fifo').maxsize is {q.maxsize!r}; expected 0, the default: no bound unless one is asked for")


@pytest.mark.task(1)
def test_a_lifo_queue_gives_the_newest_item_first(queues):
    q = queues.make_queue("lifo")
    for item in ("first", "second", "third"):
        q.put(item)
    got = everything_in(q)
    if got == ["first", "second", "third"]:
        pytest.fail("make_queue('lifo') gave the items back first-in-first-out: this LIFO is a FIFO — "
                    "a stack (last in, first out) is queue.LifoQueue", pytrace=False)
    assert got == ["third", "second", "first"], (
        f"make_queue('lifo'): put 'first', 'second', 'third' gave {got!r}; "
        "expected ['third', 'second', 'first']")


@pytest.mark.task(1)
def test_a_priority_queue_gives_the_smallest_number_first(queues):
    q = queues.make_queue("priority")
    for item in (10, 11, 9):
        q.put(item)
    got = everything_in(q)
    assert got == [9, 10, 11], (
        f"make_queue('priority'): put 10, 11, 9 gave {got!r}; expected [9, 10, 11]: "
        "a priority queue hands out the smallest first — that is queue.PriorityQueue")


@pytest.mark.task(1)
def test_an_unknown_order_is_a_value_error(queues):
    with raises(ValueError, "make_queue('random')",
                "only 'fifo', 'lifo' and 'priority' name an order; refuse anything else instead of guessing"):
        queues.make_queue("random")


@pytest.mark.task(1)
def test_maxsize_makes_put_wait_until_a_get_makes_room(queues):
    q = queues.make_queue("fifo", maxsize=2)
    q.put("a")
    q.put("b")
    run = block_then_trigger(lambda: q.put("c"), q.get, name="put")
    if not run.waited:
        if run.finished:
            run.outcome()  # a put that raised says so itself
        pytest.fail("make_queue('fifo', maxsize=2) held 2 items and put() returned at once instead of waiting "
                    "for room: pass maxsize on to the queue class, queue.Queue(maxsize)", pytrace=False)
    assert run.finished, f"put() was still waiting {bounds.HANG:g} s after a get() made room"
    run.outcome()
    assert run.returned_after_trigger, "put('c') on a full queue returned before a get() made room"
    left = everything_in(q)
    assert left == ["b", "c"], f"after the blocked put('c') went in, the queue held {left!r}; expected ['b', 'c']"


@pytest.mark.task(1)
def test_drain_takes_what_is_there_and_never_waits(queues):
    q = queues.make_queue("fifo")
    q.put("x")
    q.put("y")
    worker = Worker(queues.drain, q, name="drain").start()
    wait_until(lambda: parked(worker.thread) or not worker.thread.is_alive())
    if worker.thread.is_alive():
        if parked(worker.thread):
            pytest.fail("drain() took the 2 items, then sat waiting in get() on the empty queue: a plain get() "
                        "blocks until an item comes — take items with get_nowait() and stop at queue.Empty",
                        pytrace=False)  # the worker is a daemon: it may wait there, it keeps nothing alive
        pytest.fail(f"drain() did not return within {bounds.HANG:g} s", pytrace=False)
    got = worker.outcome()
    assert got == ["x", "y"], f"a queue held 'x', 'y'; drain() returned {got!r}; expected ['x', 'y']"
    again = run_bounded(queues.drain, q, what="drain() on an empty queue")
    assert again == [], f"drain() on an empty queue returned {again!r}; expected []"


# -- task 2: priority is not the item's own order --------------------------------

def collect(inbox, count):
    return [run_bounded(inbox.get, timeout=bounds.HANG, what="PriorityInbox.get()") for _ in range(count)]


@pytest.mark.task(2)
def test_the_lowest_priority_number_comes_out_first_whatever_the_items_are(queues):
    inbox = queues.PriorityInbox()
    arrivals = (("zebra", 1), ("apple", 3), ("mango", 2))
    for item, priority in arrivals:
        inbox.put(item, priority)
    got = collect(inbox, 3)
    if got == ["apple", "mango", "zebra"]:
        pytest.fail("put zebra (priority 1), apple (3), mango (2); got them alphabetically, "
                    f"{got!r}: the queue ordered the entries by the item, not the priority — reversed priority "
                    "tuple? A tuple compares its first element first, so put (priority, ..., item)", pytrace=False)
    assert got == ["zebra", "mango", "apple"], (
        f"put zebra (priority 1), apple (3), mango (2); get() gave {got!r}; expected ['zebra', 'mango', 'apple']: "
        "the lowest number comes out first")


@pytest.mark.task(2)
def test_equal_priorities_with_items_that_cannot_be_compared(queues):
    inbox = queues.PriorityInbox()
    patients = [{"name": "ana"}, {"name": "ben"}, {"name": "chen"}]
    try:
        for patient in patients:
            inbox.put(patient, 2)
        got = collect(inbox, 3)
    except TypeError as exc:
        pytest.fail(f"put three dicts with the same priority 2; the queue raised TypeError: {exc} — with equal "
                    "priorities the heap compares the next element of the tuple, the items themselves, and "
                    "dicts cannot be compared: add a tie-breaker, (priority, next(counter), item)", pytrace=False)
    if got == patients[::-1]:
        pytest.fail(f"three dicts with the same priority 2: equal priorities came out newest first, {got!r}; "
                    f"expected arrival order {patients!r}: the tie-breaker must grow with each put, "
                    "(priority, next(counter), item)", pytrace=False)
    assert got == patients, f"three dicts with priority 2 came out as {got!r}; expected arrival order {patients!r}"


@pytest.mark.task(2)
def test_equal_priorities_come_out_in_arrival_order(queues):
    inbox = queues.PriorityInbox()
    for item in ("zed", "amy", "kim"):
        inbox.put(item, 5)
    inbox.put("urgent", 0)
    got = collect(inbox, 4)
    expected = ["urgent", "zed", "amy", "kim"]
    if got == ["urgent", "kim", "amy", "zed"]:
        pytest.fail(f"equal priorities came out newest first, {got!r}; expected arrival order {expected!r}: "
                    "the tie-breaker must grow with each put, (priority, next(counter), item)", pytrace=False)
    if got == ["urgent", "amy", "kim", "zed"]:
        pytest.fail(f"equal priorities came out in the items' own (alphabetical) order, {got!r}; expected arrival "
                    f"order {expected!r}: no tie-breaker? put (priority, next(counter), item)", pytrace=False)
    assert got == expected, f"get() gave {got!r}; expected {expected!r}"


@pytest.mark.task(2)
def test_an_empty_inbox_raises_queue_empty_after_its_timeout(queues):
    inbox = queues.PriorityInbox()
    with raises(queue.Empty, "get(block=False) on an empty PriorityInbox",
                "pass block and timeout on to the queue's get(), which raises queue.Empty"):
        run_bounded(inbox.get, block=False, what="get(block=False)")
    with raises(queue.Empty, "get(timeout=0.01) on an empty PriorityInbox",
                "pass block and timeout on to the queue's get(), which raises queue.Empty"):
        run_bounded(lambda: inbox.get(timeout=0.01), what="get(timeout=0.01)")
    inbox.put("x", 1)
    inbox.put("y", 1)
    assert inbox.qsize() == 2, f"put two items; qsize() is {inbox.qsize()!r}; expected 2"


@pytest.mark.task(2)
def test_get_with_no_arguments_waits_for_an_item(queues):
    inbox = queues.PriorityInbox()
    run = block_then_trigger(inbox.get, lambda: inbox.put("late", 1), name="get")
    if not run.waited:
        if run.finished:
            try:
                got = repr(run.outcome())
            except queue.Empty:
                got = "queue.Empty"
        else:
            got = "(neither returned nor waited on a Condition)"
        pytest.fail(f"get() on an empty PriorityInbox gave {got} at once instead of waiting: get() with no "
                    "arguments blocks until an item comes, as queue.Queue.get() does — keep the defaults "
                    "block=True, timeout=None and pass them on", pytrace=False)
    assert run.finished, (
        f"get() on an empty PriorityInbox was still waiting {bounds.HANG:g} s after put('late', 1)")
    got = run.outcome()
    assert run.returned_after_trigger and got == "late", (
        f"get() on an empty PriorityInbox, then put('late', 1): get() returned {got!r}; expected 'late'")


# -- task 3: a consumer that stops at its sentinel and reports each task done -----

@pytest.mark.task(3)
def test_consume_handles_items_in_order_and_stops_at_the_sentinel(queues):
    q = queue.Queue()
    for item in ("a", "b", queues.STOP, "c"):
        q.put(item)
    handled = []
    run_bounded(queues.consume, q, handled.append, what="consume(q, handle) with a STOP in the queue")
    assert handled == ["a", "b"], (
        f"queue held 'a', 'b', STOP, 'c'; consume() handled {handled!r}; expected ['a', 'b'] — "
        "handle every item up to the sentinel, not the sentinel itself")
    rest = q.get_nowait() if not q.empty() else None
    assert rest == "c", (
        "consume() took items after the STOP sentinel: one sentinel stops one consumer, and what comes "
        "after belongs to the others — return as soon as you get STOP")


@pytest.mark.task(3)
def test_consume_calls_task_done_once_for_every_get_including_the_sentinel(queues):
    q = SpyQueue(sentinel=queues.STOP)
    for item in ("a", "b", queues.STOP):
        q.put(item)
    try:
        run_bounded(queues.consume, q, lambda item: None, what="consume(q, handle)")
    except ValueError as exc:
        pytest.fail(f"consume() called task_done() more often than it called get() ({exc}): one task_done() "
                    "per get(), once", pytrace=False)
    calls = q.task_done_calls
    if calls == 0:
        pytest.fail("consume() got 2 items and the sentinel and never called task_done(): task_done not called "
                    "— q.join() then waits forever; call q.task_done() after handling each item", pytrace=False)
    if calls == 2:
        pytest.fail("consume() called task_done() for the 2 items but not for the sentinel: the sentinel was got "
                    "with get() too, so it needs its task_done(), or q.join() waits forever", pytrace=False)
    assert calls == 3, f"consume() called task_done() {calls} times for 2 items and a sentinel; expected 3"
    joined = Worker(q.join, name="join").start()
    assert joined.finished(), "q.join() still waited after consume() returned"


@pytest.mark.task(3)
def test_task_done_comes_after_the_work_on_each_item(queues):
    q = SpyQueue(sentinel=queues.STOP)
    for item in ("a", "b", queues.STOP):
        q.put(item)

    def handle(item):
        q.note("handle begins", item)
        q.note("handle ends", item)

    run_bounded(queues.consume, q, handle, what="consume(q, handle)")
    steps = [what if what == "task_done" else f"{what} {item!r}" for what, item, _ in q.events
             if what != "put"]
    steps = ["get STOP" if step == f"get {queues.STOP!r}" else step for step in steps]
    expected = ["get 'a'", "handle begins 'a'", "handle ends 'a'", "task_done",
                "get 'b'", "handle begins 'b'", "handle ends 'b'", "task_done",
                "get STOP", "task_done"]
    if steps != expected and "task_done" in steps:
        first_done = steps.index("task_done")
        if "handle ends 'a'" not in steps[:first_done]:
            pytest.fail("consume() called task_done() before handle() had finished with the item:\n  "
                        + "\n  ".join(steps) + "\nq.join() would return while work is still running — call "
                        "task_done() after the work, not right after get()", pytrace=False)
    assert steps == expected, "consume() did these steps:\n  " + "\n  ".join(steps) + \
        "\nexpected:\n  " + "\n  ".join(expected)


# -- task 4: a pipeline of several producers and consumers ------------------------

def spy_factory(queues, made, after_stop=None):
    def factory(maxsize=0):
        q = SpyQueue(maxsize, sentinel=queues.STOP, after_stop=after_stop)
        made.append(q)
        return q
    return factory


def the_queue(made):
    assert made, ("run_pipeline() never called queue_factory: the test needs queue_factory to see the queue — "
                  "q = queue_factory(maxsize), not queue.Queue() directly")
    assert len(made) == 1, (
        f"run_pipeline() called queue_factory {len(made)} times; expected once: one queue shared by every "
        "producer and consumer, made with q = queue_factory(maxsize)")
    return made[0]


def fail_a_stuck_pipeline(queues, made, caller, consumers):
    """run_pipeline() has not returned: free its consumers, then fail naming why it was stuck."""
    q = the_queue(made)
    sent, unfinished = q.sentinels_put, q.unfinished_tasks
    for _ in range(consumers):
        q.put(queues.STOP)  # let the stranded consumers go, so nothing outlives the test
    caller.finished(2.0)
    if sent == 0 and unfinished > 0:
        pytest.fail(f"run_pipeline() did not return within {bounds.HANG:g} s and put no sentinel: it waits "
                    f"in q.join() with {unfinished} task(s) never marked done — does consume() call "
                    "q.task_done() for every item?", pytrace=False)
    if sent < consumers:
        pytest.fail(f"run_pipeline(consumers={consumers}) did not return within {bounds.HANG:g} s: it put {sent} "
                    f"STOP sentinel(s) for {consumers} consumers, and a consumer with no sentinel waits in get() "
                    "forever — put one sentinel per consumer", pytrace=False)
    pytest.fail(f"run_pipeline() did not return within {bounds.HANG:g} s, with {sent} sentinel(s) put", pytrace=False)


@pytest.mark.task(4)
def test_every_item_is_handled_exactly_once_by_several_producers_and_consumers(queues):
    sources = [[(name, n) for n in range(40)] for name in ("north", "south", "east")]
    handled = collections.Counter()
    handlers = set()
    lock = threading.Lock()

    def handle(item):
        with lock:
            handled[item] += 1
            handlers.add(threading.get_ident())

    made = []
    caller = Worker(queues.run_pipeline, sources, handle, consumers=3, queue_factory=spy_factory(queues, made),
                    name="run_pipeline").start()
    if not caller.finished():
        fail_a_stuck_pipeline(queues, made, caller, consumers=3)
    caller.outcome()
    the_queue(made)
    expected = collections.Counter(item for source in sources for item in source)
    lost = sorted(expected - handled)
    doubled = sorted(item for item, count in handled.items() if count > 1)
    assert not lost and not doubled, (
        f"3 producers put 120 items, 3 consumers handled them: lost {lost[:5]}{'...' if len(lost) > 5 else ''}, "
        f"handled twice {doubled[:5]}: every item must be handled exactly once")
    assert caller.thread.ident not in handlers, (
        "run_pipeline() handled items in its own thread: handle() belongs in the consumer threads")
    assert len(handlers) <= 3, f"items were handled in {len(handlers)} threads; expected at most 3 consumers"


@pytest.mark.task(4)
def test_each_consumer_gets_its_own_sentinel(queues):
    made = []
    caller = Worker(queues.run_pipeline, [range(6)], lambda item: None, consumers=3,
                    queue_factory=spy_factory(queues, made), name="run_pipeline").start()
    if not caller.finished():
        fail_a_stuck_pipeline(queues, made, caller, consumers=3)
    caller.outcome()
    q = the_queue(made)
    assert q.sentinels_put == 3, f"run_pipeline(consumers=3) put {q.sentinels_put} sentinels; expected 3"
    made = []
    caller = Worker(queues.run_pipeline, [range(6)], lambda item: None, queue_factory=spy_factory(queues, made),
                    name="run_pipeline").start()
    if not caller.finished():
        fail_a_stuck_pipeline(queues, made, caller, consumers=2)
    caller.outcome()
    q = the_queue(made)
    assert (q.sentinels_put, q.maxsize) == (2, 0), (
        f"run_pipeline() with consumers and maxsize left out put {q.sentinels_put} sentinels into a queue of "
        f"maxsize {q.maxsize}; expected the defaults: 2 consumers (2 sentinels) and maxsize 0")


@pytest.mark.task(4)
def test_the_sentinels_go_in_only_after_every_producer_has_finished(queues):
    made = []
    handled = []
    others_done = threading.Event()
    release = threading.Event()  # set when the test ends, so the held-back producer never outlives it
    caller_box = []

    def handle(item):
        handled.append(item)
        if len(handled) == 25:
            others_done.set()

    def slow_source():
        yield from (("slow", n) for n in range(5))
        # Hold the last item back until everything else is handled and the pipeline
        # sleeps in a join or wait: the pipeline has then done whatever it does early.
        wait_until(lambda: release.is_set() or (others_done.is_set() and asleep(caller_box[0].thread)),
                   bounds.HANG * 2)
        yield ("slow", "last")

    sources = [[("quick", n) for n in range(20)], slow_source()]
    caller = Worker(queues.run_pipeline, sources, handle, consumers=2, queue_factory=spy_factory(queues, made),
                    name="run_pipeline")
    caller_box.append(caller)
    caller.start()
    try:
        if not caller.finished():
            pytest.fail(f"run_pipeline() did not return within {bounds.HANG:g} s", pytrace=False)
    finally:
        release.set()
    caller.outcome()
    q = the_queue(made)
    if ("slow", "last") not in handled:
        order = [("STOP" if item is queues.STOP else item) for what, item, _ in q.events if what == "put"][-4:]
        pytest.fail("an item was lost: a producer put ('slow', 'last') after the sentinels, when no consumer was "
                    f"left to take it (the last puts were {order}) — put the sentinels only after every "
                    "producer has finished: join the producer threads first", pytrace=False)
    assert len(handled) == 26, f"26 items were produced; {len(handled)} were handled"


@pytest.mark.task(4)
def test_the_pipeline_queue_is_bounded_by_maxsize(queues):
    made = []
    run_bounded(queues.run_pipeline, [range(30), range(30)], lambda item: None, consumers=2, maxsize=2,
                queue_factory=spy_factory(queues, made), what="run_pipeline(maxsize=2)")
    q = the_queue(made)
    assert q.maxsize == 2, f"run_pipeline(maxsize=2) made its queue with maxsize={q.maxsize}; expected 2"
    assert q.peak <= 2, f"the queue held {q.peak} items at once; maxsize=2 allows 2"


@pytest.mark.task(4)
def test_run_pipeline_returns_only_after_every_consumer_has_finished(queues):
    gate = JoinGate()  # holds each consumer, once it has marked its sentinel done, until its thread is joined
    made = []
    with gate.watching(workers=2):
        run_bounded(queues.run_pipeline, [range(4)], lambda item: None, consumers=2,
                    queue_factory=spy_factory(queues, made, after_stop=gate.hold), timeout=bounds.HELD,
                    what="run_pipeline(consumers=2)")
    assert gate.all_left, "run_pipeline(consumers=2) returned, but its 2 consumers never both marked a sentinel done"
    assert not gate.timed_joins, (
        f"run_pipeline() returned while the consumers {sorted(gate.timed_joins)} were still running: join(timeout) "
        "gave up waiting, and a join() that times out does not mean the thread has finished")
    assert not gate.outlived, (
        f"run_pipeline() returned while the consumers {sorted(gate.outlived)} were still running (each was held, "
        "after its sentinel, until its thread was joined): after the sentinels, join every consumer thread")
    assert not gate.never_joined, (
        f"the consumers {sorted(gate.never_joined)} waited {bounds.HANG:g} s for run_pipeline() to join them")


# -- task 5: a Queue of your own: order, size, no waiting -------------------------

@pytest.mark.task(5)
def test_your_queue_is_first_in_first_out(queues):
    q = queues.Queue()
    assert q.empty() is True and q.qsize() == 0, (
        f"a new Queue(): empty() is {q.empty()!r}, qsize() is {q.qsize()!r}; expected True and 0")
    for item in (111, 333, 222):
        q.put(item)
    got = [q.get() for _ in range(3)]
    if got == [222, 333, 111]:
        pytest.fail("put 111, 333, 222; get() gave the newest first, [222, 333, 111]: this Queue is a stack (LIFO) "
                    "— take from the front, deque.popleft(), and add at the back", pytrace=False)
    assert got == [111, 333, 222], f"put 111, 333, 222; get() gave {got!r}; expected [111, 333, 222]"


@pytest.mark.task(5)
def test_qsize_empty_and_full_follow_maxsize(queues):
    q = queues.Queue(2)
    assert q.maxsize == 2, f"Queue(2).maxsize is {q.maxsize!r}; expected 2"
    assert not q.full(), "a new Queue(2) says full(); expected not full"
    q.put("a")
    assert q.qsize() == 1 and not q.empty() and not q.full(), (
        f"Queue(2) with one item: qsize()={q.qsize()!r}, empty()={q.empty()!r}, full()={q.full()!r}; "
        "expected 1, False, False")
    q.put("b")
    assert q.qsize() == 2 and q.full(), f"Queue(2) with two items: qsize()={q.qsize()!r}, full()={q.full()!r}"
    unbounded = queues.Queue()
    assert unbounded.maxsize == 0, f"Queue().maxsize is {unbounded.maxsize!r}; expected 0, the default (no bound)"
    for n in range(100):
        unbounded.put(n)
    assert not unbounded.full(), "Queue() (maxsize 0) with 100 items says full(); maxsize 0 means no bound"
    single = queues.Queue(1)
    single.put("a")
    assert single.full(), "Queue(1) with one item says it is not full(); expected full: 0 < maxsize <= qsize()"
    negative = queues.Queue(-1)
    for n in range(3):
        try:
            negative.put_nowait(n)
        except queue.Full:
            pytest.fail(f"Queue(-1).put_nowait() raised queue.Full after {n} item(s); a maxsize of 0 or less "
                        "means no bound (maxsize <= 0, not only == 0)", pytrace=False)
    assert not negative.full(), (
        "Queue(-1) with 3 items says full(); a maxsize of 0 or less means no bound, so it is never full — "
        "0 < self.maxsize <= len(...), not self.maxsize != 0")


@pytest.mark.task(5)
def test_qsize_empty_and_full_count_the_items_waiting_not_the_unfinished_tasks(queues):
    q = queues.Queue(2)
    q.put("a")
    q.put("b")
    got = q.get()
    seen = {"qsize()": q.qsize(), "empty()": q.empty(), "full()": q.full()}
    expected = {"qsize()": 1, "empty()": False, "full()": False}
    assert seen == expected, (
        f"Queue(2): put 'a' and 'b', then get() took {got!r} (its task_done() not called yet); {seen}; expected "
        f"{expected}: qsize(), empty() and full() count the items waiting in the queue, len(self._items), "
        "not the tasks not yet marked done — those are join()'s business")
    q.get()
    assert q.qsize() == 0 and q.empty() is True, (
        f"Queue(2) with both items taken (no task_done() yet): qsize()={q.qsize()!r}, empty()={q.empty()!r}; "
        "expected 0 and True: count the items waiting, not the tasks not yet marked done")


@pytest.mark.task(5)
def test_no_wait_calls_raise_queue_full_and_queue_empty(queues):
    q = queues.Queue(1)
    with raises(queue.Empty, "get(block=False) on an empty Queue(1)", "a get that may not wait and finds nothing"):
        q.get(block=False)
    with raises(queue.Empty, "get_nowait() on an empty Queue(1)", "get_nowait() is get(block=False)"):
        q.get_nowait()
    q.put_nowait("only")
    with raises(queue.Full, "put('more', block=False) on a full Queue(1)",
                "a put that may not wait and finds no room — a put that doesn't block on maxsize has no room "
                "check: compare len(items) with maxsize"):
        q.put("more", block=False)
    with raises(queue.Full, "put_nowait('more') on a full Queue(1)", "put_nowait(item) is put(item, block=False)"):
        q.put_nowait("more")
    got = q.get_nowait()
    assert got == "only", f"put_nowait('only'), two refused puts, then get_nowait() gave {got!r}; expected 'only'"


# -- task 6: blocking put and get, with timeouts ----------------------------------

@pytest.mark.task(6)
def test_get_waits_for_a_put_and_wakes_when_it_comes(queues):
    q = queues.Queue()
    run = block_then_trigger(q.get, lambda: q.put("parcel"), name="get")
    if not run.waited:
        if run.finished:
            try:
                got = run.outcome()
            except queue.Empty:
                got = "queue.Empty"
        else:
            got = "(neither returned nor waited on a Condition)"
        pytest.fail(f"get() on an empty Queue gave {got} without waiting: with block=True and no timeout, "
                    "wait on a Condition until an item is there", pytrace=False)
    assert run.finished, (
        f"get() waited on an empty Queue and was still asleep {bounds.HANG:g} s after put('parcel'): "
        "notify missing? put() must notify the Condition that get() waits on")
    got = run.outcome()
    assert got == "parcel", f"get() waited for put('parcel') and then returned {got!r}; expected 'parcel'"
    assert run.returned_after_trigger, "get() returned before put('parcel') was called"


@pytest.mark.task(6)
def test_put_waits_on_a_full_queue_until_a_get_makes_room(queues):
    q = queues.Queue(1)
    q.put("first")
    run = block_then_trigger(lambda: q.put("second"), q.get, name="put")
    if not run.waited:
        if run.finished:
            try:
                run.outcome()
                what = "returned at once"
            except queue.Full:
                what = "raised queue.Full at once"
        else:
            what = "neither returned nor waited on a Condition"
        pytest.fail(f"put() into a full Queue(1) {what}: put that doesn't block on maxsize — with block=True "
                    "it must wait until a get() makes room", pytrace=False)
    assert run.finished, (
        f"put() on a full Queue(1) was still asleep {bounds.HANG:g} s after a get() made room: notify missing? "
        "get() must notify the Condition that put() waits on")
    run.outcome()
    assert q.get_nowait() == "second", "after the blocked put('second') went in, the queue should hold it"


def timed_call(call, what):
    worker = Worker(call, name="timed").start()
    if not worker.finished():
        pytest.fail(f"{what} was still waiting {bounds.HANG:g} s later: it never times out — "
                    "pass the time that is left to wait() (or use wait_for(predicate, timeout))", pytrace=False)
    return worker


@pytest.mark.task(6)
def test_a_get_woken_after_another_thread_took_the_item_waits_again(queues):
    q = queues.Queue()
    getter = Worker(q.get, name="getter").start()
    wait_until(lambda: parked(getter.thread) or not getter.thread.is_alive())
    if not getter.thread.is_alive():
        got = getter.outcome()
        pytest.fail(f"get() on an empty Queue returned {got!r} without waiting for a put()", pytrace=False)
    if not parked(getter.thread):
        pytest.fail(f"get() on an empty Queue neither returned nor waited on a Condition within {bounds.HANG:g} s",
                    pytrace=False)
    # While this thread runs without blocking, the GIL stays here for a whole switch interval: the woken
    # getter cannot run again before get_nowait() below has taken the item (a stolen wake-up, every time).
    first_wait = frame_of(getter.thread.ident)  # held: a new wait() is a new frame
    interval = sys.getswitchinterval()
    sys.setswitchinterval(bounds.HANG)
    try:
        q.put("first")  # wakes the getter ...
        stolen = q.get_nowait()  # ... and the item is gone before it looks
    except queue.Empty:
        stolen = None  # only without a GIL can the getter run first: then there is no wake-up to steal
    finally:
        sys.setswitchinterval(interval)
    if stolen is None:
        assert getter.finished() and getter.outcome() == "first", "get() woken by put('first') did not return it"
        return
    moved = wait_until(lambda: not getter.thread.is_alive()
                       or (parked(getter.thread) and frame_of(getter.thread.ident) is not first_wait))
    if not moved and stall.was_cut() and frame_of(getter.thread.ident) is first_wait:
        pytest.fail("put('first') never woke the get() asleep in wait() on the empty Queue (nobody in the test "
                    "could move): notify missing? put() must notify the Condition that get() waits on",
                    pytrace=False)
    if not getter.thread.is_alive():
        try:
            got = getter.outcome()
        except Exception as exc:
            pytest.fail(f"a get() woken by a put() whose item another thread took first ({stolen!r}) raised "
                        f"{type(exc).__name__}: {exc} — a wake-up is only a hint to look again: wait in a while "
                        "loop (or wait_for), not under an if", pytrace=False)
        pytest.fail(f"a get() woken by a put() whose item another thread took first returned {got!r} from an "
                    "empty queue — a wake-up is only a hint to look again: wait in a while loop (or wait_for), "
                    "not under an if", pytrace=False)
    q.put("second")
    assert getter.finished(), f"get() had not returned {bounds.HANG:g} s after a second put()"
    got = getter.outcome()
    assert got == "second", f"get(), woken twice, returned {got!r}; expected 'second'"


@pytest.mark.task(6)
def test_get_with_a_timeout_raises_queue_empty_when_time_runs_out(queues):
    q = queues.Queue()
    worker = timed_call(lambda: q.get(timeout=0.05), "get(timeout=0.05) on an empty Queue")
    try:
        got = worker.outcome()
    except queue.Empty:
        return
    except Exception as exc:
        pytest.fail(f"get(timeout=0.05) on an empty Queue raised {type(exc).__name__}: {exc}; expected "
                    "queue.Empty — a drop-in for queue.Queue raises the wrong exception otherwise", pytrace=False)
    pytest.fail(f"get(timeout=0.05) on an empty Queue returned {got!r}; expected it to raise queue.Empty",
                pytrace=False)


@pytest.mark.task(6)
def test_put_with_a_timeout_raises_queue_full_when_time_runs_out(queues):
    q = queues.Queue(1)
    q.put("only")
    worker = timed_call(lambda: q.put("more", timeout=0.05), "put(timeout=0.05) on a full Queue(1)")
    try:
        worker.outcome()
    except queue.Full:
        assert q.qsize() == 1, f"a put() that timed out changed qsize() to {q.qsize()}; expected 1"
        return
    except Exception as exc:
        pytest.fail(f"put(timeout=0.05) on a full Queue raised {type(exc).__name__}: {exc}; expected queue.Full",
                    pytrace=False)
    pytest.fail("put(timeout=0.05) on a full Queue(1) returned; expected it to raise queue.Full "
                "(put that doesn't block on maxsize?)", pytrace=False)


@pytest.mark.task(6)
def test_a_negative_timeout_is_a_value_error(queues):
    q = queues.Queue(1)
    with raises(ValueError, "put('x', timeout=-1)", "a negative timeout is a mistake in the caller, as in queue.Queue"):
        q.put("x", timeout=-1)
    with raises(ValueError, "get(True, -1)", "a negative timeout is a mistake in the caller, as in queue.Queue"):
        q.get(True, -1)


@pytest.mark.task(6)
def test_a_zero_timeout_does_not_wait_and_is_no_error(queues):
    q = queues.Queue(1)
    q.put("only")
    for call, what, expected in ((lambda: q.put("more", timeout=0), "put('more', timeout=0) on a full Queue(1)",
                                  queue.Full),
                                 (lambda: [q.get(timeout=0), q.get(timeout=0)],
                                  "get(timeout=0) twice on a Queue(1) holding one item", queue.Empty)):
        worker = timed_call(call, what)
        try:
            got = worker.outcome()
        except expected:
            continue
        except ValueError as exc:
            pytest.fail(f"{what} raised ValueError ({exc}); expected {expected.__name__}: only a negative "
                        "timeout is a mistake — 0 means do not wait (timeout < 0, not <= 0)", pytrace=False)
        pytest.fail(f"{what} returned {got!r}; expected {expected.__name__}", pytrace=False)


# -- task 7: task_done and join ----------------------------------------------------

@pytest.mark.task(7)
def test_task_done_more_often_than_put_is_a_value_error(queues):
    q = queues.Queue()
    with raises(ValueError, "task_done() on a new Queue",
                "task_done() called more times than there were items put is a bug the queue must report"):
        q.task_done()
    q.put("a")
    q.get()
    q.task_done()
    with raises(ValueError, "a second task_done() after one put()",
                "task_done() called more times than there were items put is a bug the queue must report"):
        q.task_done()


@pytest.mark.task(7)
def test_join_waits_for_a_task_done_per_item_not_for_an_empty_queue(queues):
    q = queues.Queue()
    q.put("a")
    q.put("b")
    q.get()
    q.get()  # the queue is empty, but neither item is done
    joiner = Worker(q.join, name="join").start()
    wait_until(lambda: parked(joiner.thread) or not joiner.thread.is_alive())
    if not joiner.thread.is_alive():
        joiner.outcome()
        pytest.fail("join() returned at once although 2 items taken with get() had no task_done() yet: join "
                    "waits until every put() has its task_done(), not until the queue is empty", pytrace=False)
    if not parked(joiner.thread):
        pytest.fail(f"join() neither returned nor waited on a Condition within {bounds.HANG:g} s", pytrace=False)
    q.task_done()  # one of two: join() must go on waiting
    wait_until(lambda: parked(joiner.thread) or not joiner.thread.is_alive())
    if not joiner.thread.is_alive():
        pytest.fail("join() returned after 1 of 2 task_done() calls: count every put(), and let join() "
                    "return only when the count of unfinished tasks reaches 0", pytrace=False)
    q.task_done()
    assert joiner.finished(), (
        f"join() was still asleep {bounds.HANG:g} s after the last task_done(): task_done() must notify_all() "
        "the Condition that join() waits on when the count reaches 0")
    joiner.outcome()


@pytest.mark.task(7)
def test_every_thread_waiting_in_join_wakes_when_the_last_task_is_done(queues):
    q = queues.Queue()
    q.put("a")
    q.get()
    joiners = [Worker(q.join, name=f"joiner-{n}").start() for n in range(2)]
    wait_until(lambda: all(parked(j.thread) or not j.thread.is_alive() for j in joiners))
    early = [j.thread.name for j in joiners if not j.thread.is_alive()]
    assert not early, (
        f"{early} returned from join() at once although an item taken with get() had no task_done() yet: join "
        "waits until every put() has its task_done()")
    q.task_done()
    stuck = [j.thread.name for j in joiners if not j.finished()]
    if stuck:
        q.put("b")  # wake the stranded joiner so it does not sleep on past the test
        q.get()
        q.task_done()
    assert not stuck, (
        f"two threads waited in join(); after the last task_done(), {stuck} slept on: notify() wakes only one "
        "waiter — when the count reaches 0, task_done() must notify_all()")


@pytest.mark.task(7)
def test_join_with_nothing_unfinished_returns_at_once(queues):
    q = queues.Queue()
    run_bounded(q.join, what="join() on a new Queue")
    q.put(1)
    q.get()
    q.task_done()
    run_bounded(q.join, what="join() after every item had its task_done()")


@pytest.mark.task(7)
def test_your_queue_carries_many_producers_and_consumers(queues):
    q = queues.Queue(3)
    stop = object()
    handled = collections.Counter()
    lock = threading.Lock()
    producers_n, consumers_n, per_producer = 3, 3, 60

    def produce(name):
        for n in range(per_producer):
            q.put((name, n))

    def consume():
        while True:
            item = q.get()
            if item is not stop:
                with lock:
                    handled[item] += 1
            q.task_done()
            if item is stop:
                return

    consumers = [Worker(consume, name=f"consumer-{n}").start() for n in range(consumers_n)]
    producers = [Worker(produce, f"p{n}", name=f"producer-{n}").start() for n in range(producers_n)]
    for worker in producers:
        assert worker.finished(), f"{worker.thread.name} was still putting{stall.waited(bounds.HANG)}"
        worker.outcome()
    run_bounded(q.join, what="join() after every item was handled")
    for _ in consumers:
        q.put(stop)
    for worker in consumers:
        assert worker.finished(), f"{worker.thread.name} did not stop within {bounds.HANG:g} s"
        worker.outcome()
    expected = collections.Counter((f"p{p}", n) for p in range(producers_n) for n in range(per_producer))
    assert handled == expected, (
        f"{producers_n} producers put {sum(expected.values())} items through your Queue(3); "
        f"lost {sorted(expected - handled)[:5]}, doubled {sorted(k for k, v in handled.items() if v > 1)[:5]}")
