"""Mistakes students make with pools; each must fail tests/exercises/pools with a message naming it."""
from kata.mistakes import Mistake

SUBMIT_AND_COLLECT = """    futures = [pool.submit(fn, item) for item in items]
    return [future.result() for future in futures]
"""

RECORD_RESULT = """        error = future.exception()
        if error is not None:
            rest = f" ERROR {type(error).__name__}\\n"
        else:
            rest = f" {title_of(future.result())}\\n"
"""

WRITE_UNDER_THE_LOCK = """        with lock:
            with open(results_path, "a", encoding="utf-8") as out:
                out.write(url)
                if between is not None:
                    between()
                out.write(rest)
"""

MISTAKES = (
    Mistake(
        name="results-collected-in-completion-order",
        edits=((SUBMIT_AND_COLLECT, """    futures = [pool.submit(fn, item) for item in items]
    return [future.result() for future in as_completed(futures)]
"""),),
        expect="in completion order",
    ),
    Mistake(
        name="each-result-awaited-before-the-next-submit",
        edits=((SUBMIT_AND_COLLECT, """    return [pool.submit(fn, item).result() for item in items]
"""),),
        expect="waited for a result before it had submitted every item",
    ),
    Mistake(
        name="task-exception-swallowed",
        edits=((SUBMIT_AND_COLLECT, """    futures = [pool.submit(fn, item) for item in items]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception:
            results.append(None)
    return results
"""),),
        expect="the exception was swallowed",
    ),
    Mistake(
        name="callback-reads-another-future",
        edits=(("future.add_done_callback(functools.partial(record, url))",
                "future.add_done_callback(lambda finished: record(url, future))"),),
        expect="use the future it is given",
    ),
    Mistake(
        name="lines-appended-without-a-lock",
        edits=((WRITE_UNDER_THE_LOCK, """        with open(results_path, "a", encoding="utf-8") as out:
            out.write(url)
            if between is not None:
                between()
            out.write(rest)
"""),),
        expect="without the lock",
    ),
    Mistake(
        name="callback-exception-left-unhandled",
        edits=((RECORD_RESULT, """        rest = f" {title_of(future.result())}\\n"
"""),),
        expect="only logged",
    ),
    Mistake(
        name="pages-fetched-one-after-another",
        edits=(("            future.add_done_callback(functools.partial(record, url))\n",
                "            future.add_done_callback(functools.partial(record, url))\n"
                "            future.exception()  # wait for this page before asking for the next\n"),),
        expect="fetched one after another",
    ),
    Mistake(
        name="unbounded-pool",
        edits=(("    with executor(max_workers=max_workers) as pool:\n        for url in urls:",
                "    with executor() as pool:\n        for url in urls:"),),
        expect="without max_workers",
    ),
    Mistake(
        name="shutdown-without-waiting",
        edits=(("""    with executor(max_workers=max_workers) as pool:
        for url in urls:
            future = pool.submit(fetch, url)
            future.add_done_callback(functools.partial(record, url))
""", """    pool = executor(max_workers=max_workers)
    for url in urls:
        future = pool.submit(fetch, url)
        future.add_done_callback(functools.partial(record, url))
    pool.shutdown(wait=False)
"""),),
        expect="called shutdown(wait=False)",
    ),
    Mistake(
        name="pending-tasks-not-cancelled",
        edits=(("                pool.shutdown(wait=True, cancel_futures=True)\n", ""),),
        expect="cancel_futures=True",
    ),
    Mistake(
        name="lambda-initializer-for-a-process-pool",
        edits=(("initializer=initializer, initargs=initargs) as pool:",
                "initializer=lambda: initializer(*initargs) if initializer else None) as pool:"),),
        expect="can't be pickled",
    ),
    Mistake(
        name="process-pool-made-without-mp-context",
        edits=(("    with ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context,\n",
                "    with ProcessPoolExecutor(max_workers=max_workers,\n"),),
        expect="pass mp_context=mp_context to ProcessPoolExecutor",
    ),
    Mistake(
        name="process-pool-size-left-to-the-default",
        edits=(("    with ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context,\n",
                "    with ProcessPoolExecutor(mp_context=mp_context,\n"),),
        expect="a pool made without max_workers gets os.cpu_count() workers",
    ),
    Mistake(
        name="process-pool-never-shut-down",
        edits=(('    with ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context,\n                             initializer=initializer, initargs=initargs) as pool:\n        return list(pool.map(fn, items))\n', """    pool = ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context,
                               initializer=initializer, initargs=initargs)
    return list(pool.map(fn, items))
"""),),
        expect="the process pool was never shut down",
    ),
)
