"""Mistakes students make about the GIL; each must fail exercises/gil with a message naming it."""
from kata.mistakes import Mistake

START_THEN_JOIN = """    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
"""

PROCESS_POOL = """    with ProcessPoolExecutor(max_workers=len(items), mp_context=mp_context,
                             initializer=initializer, initargs=initargs) as pool:
"""

MISTAKES = (
    Mistake(
        name="join-inside-the-start-loop",
        edits=((START_THEN_JOIN, """    for thread in threads:
        thread.start()
        thread.join()
"""),),
        expect="did you call join() inside the start loop",
    ),
    Mistake(
        name="only-the-last-thread-joined",
        edits=((START_THEN_JOIN, """    for thread in threads:
        thread.start()
    threads[-1].join()
"""),),
        expect="join every thread you started",
    ),
    Mistake(
        name="no-threads-at-all",
        edits=(("    results = [None] * len(items)\n", "    return [work(item) for item in items]\n"),),
        expect="every task ran in the calling thread",
    ),
    Mistake(
        name="results-in-the-order-they-finished",
        edits=(("    results = [None] * len(items)\n", "    results = []\n"),
               ("        results[index] = work(item)\n", "        results.append(work(item))\n")),
        expect="in the order of the items",
    ),
    Mistake(
        name="threads-chosen-for-cpu-work",
        edits=((PROCESS_POOL, """    with ThreadPoolExecutor(max_workers=len(items),
                            initializer=initializer, initargs=initargs) as pool:
"""),),
        expect="threads chosen for CPU-bound work",
    ),
    Mistake(
        name="a-pool-that-runs-tasks-serially",
        edits=((PROCESS_POOL, """    with ProcessPoolExecutor(max_workers=1, mp_context=mp_context,
                             initializer=initializer, initargs=initargs) as pool:
"""),),
        expect="a pool that runs tasks one after another",
    ),
    Mistake(
        # The tests hand the code a context of their own, so an ignored one shows under every start method.
        name="mp-context-ignored",
        edits=((PROCESS_POOL, """    with ProcessPoolExecutor(max_workers=len(items),
                             initializer=initializer, initargs=initargs) as pool:
"""),),
        expect="the mp_context was ignored",
    ),
    Mistake(
        name="chooser-gives-threads-for-cpu-work",
        edits=(("""    if kind == "cpu":
        return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context,
                                   initializer=initializer, initargs=initargs)
""", """    if kind == "cpu":
        return ThreadPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs)
"""),),
        expect="threads chosen for CPU-bound work",
    ),
    Mistake(
        name="chooser-gives-processes-for-io-work",
        edits=(("""    if kind == "io":
        return ThreadPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs)
""", """    if kind == "io":
        return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context,
                                   initializer=initializer, initargs=initargs)
"""),),
        expect="processes chosen for IO-bound work",
    ),
    Mistake(
        name="gil-assumed-always-on",
        edits=(("""    is_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_enabled is None:
        return True
    return bool(is_enabled())
""", """    return True
"""),),
        expect="ask sys._is_gil_enabled()",
    ),
    Mistake(
        name="gil-question-asked-on-every-python",
        edits=(("""    is_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_enabled is None:
        return True
    return bool(is_enabled())
""", """    return sys._is_gil_enabled()
"""),),
        expect="it exists only from 3.13 on",
    ),
    Mistake(
        name="process-pool-size-left-to-the-default",
        edits=(("    with ProcessPoolExecutor(max_workers=len(items), mp_context=mp_context,\n",
                "    with ProcessPoolExecutor(mp_context=mp_context,\n"),),
        expect="without max_workers a pool takes os.cpu_count() workers",
    ),
)
