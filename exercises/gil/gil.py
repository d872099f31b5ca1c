"""The GIL: threads for waiting, processes for computing.

Read exercises/gil/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/gil --start-method spawn
(and with fork and forkserver too). See the speeds with:  kata bench gil
"""
# The imports a solution needs:
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def run_in_threads(work, items):
    """Call work(item) for every item, each in a thread of its own, all at once.

    Returns the results in the order of items (not in the order they finished).
    """
    # TODO (task 1): one threading.Thread per item, storing work(item) at the
    # item's index; start them all, then join them all; return the results.
    raise NotImplementedError("not implemented yet: run_in_threads — see exercises/gil/README.md, task 1")


def run_in_processes(work, items, mp_context, initializer=None, initargs=()):
    """Call work(item) for every item in a pool of worker processes, one worker per item.

    The pool uses mp_context and passes initializer/initargs on to the workers.
    work must be a module-level function. Returns the results in the order of items.
    """
    # TODO (task 2): a ProcessPoolExecutor with one worker per item, the given
    # context, initializer and initargs; map work over items.
    raise NotImplementedError("not implemented yet: run_in_processes — see exercises/gil/README.md, task 2")


def choose_executor(kind, workers, mp_context, initializer=None, initargs=()):
    """An executor suited to the kind of work: "cpu" or "io".

    "cpu": a ProcessPoolExecutor (processes compute in parallel on every build;
    threads take turns under the GIL, where there is one). "io": a ThreadPoolExecutor (a waiting thread releases the GIL,
    and threads are cheap). Both get max_workers=workers and initializer/initargs;
    the process pool also gets mp_context. Any other kind raises ValueError.
    """
    # TODO (task 3): return (do not use, do not shut down) the right executor.
    raise NotImplementedError("not implemented yet: choose_executor — see exercises/gil/README.md, task 3")


def gil_enabled():
    """Whether this interpreter runs with the GIL.

    Python 3.13+ can tell: sys._is_gil_enabled(). Older versions always have it.
    """
    # TODO (task 4): ask sys._is_gil_enabled() when it exists; True otherwise.
    raise NotImplementedError("not implemented yet: gil_enabled — see exercises/gil/README.md, task 4")

