"""The GIL: threads for waiting, processes for computing.

Reference solution. Same public API as exercises/gil/gil.py.
"""
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def run_in_threads(work, items):
    """Call work(item) for every item, each in a thread of its own, all at once.

    Returns the results in the order of items (not in the order they finished).
    """
    results = [None] * len(items)

    def job(index, item):
        results[index] = work(item)

    threads = [threading.Thread(target=job, args=(index, item), name=f"io-{index}")
               for index, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_in_processes(work, items, mp_context, initializer=None, initargs=()):
    """Call work(item) for every item in a pool of worker processes, one worker per item.

    The pool uses mp_context and passes initializer/initargs on to the workers.
    work must be a module-level function. Returns the results in the order of items.
    """
    with ProcessPoolExecutor(max_workers=len(items), mp_context=mp_context,
                             initializer=initializer, initargs=initargs) as pool:
        return list(pool.map(work, items))


def choose_executor(kind, workers, mp_context, initializer=None, initargs=()):
    """An executor suited to the kind of work: "cpu" or "io".

    "cpu": a ProcessPoolExecutor (processes compute in parallel on every build;
    threads take turns under the GIL, where there is one). "io": a ThreadPoolExecutor (a waiting thread releases the GIL,
    and threads are cheap). Both get max_workers=workers and initializer/initargs;
    the process pool also gets mp_context. Any other kind raises ValueError.
    """
    if kind == "cpu":
        return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context,
                                   initializer=initializer, initargs=initargs)
    if kind == "io":
        return ThreadPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs)
    raise ValueError(f"kind must be 'cpu' or 'io', not {kind!r}")


def gil_enabled():
    """Whether this interpreter runs with the GIL.

    Python 3.13+ can tell: sys._is_gil_enabled(). Older versions always have it.
    """
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_enabled is None:
        return True
    return bool(is_enabled())
