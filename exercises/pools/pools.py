"""Pools: hand work to a pool of processes or threads, and collect what comes back.

Read exercises/pools/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/pools
(and with --start-method fork, forkserver or spawn for the process pools).
"""
import functools  # noqa: F401  (task 3: functools.partial binds the url to a callback)
import re
import threading
import urllib.request  # noqa: F401  (task 3: urllib.request.urlopen fetches a page)
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed  # noqa: F401

FETCH_TIMEOUT = 10.0  # seconds a fetch may take before urlopen gives up
TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def results_in_order(pool, fn, items):
    """Run fn(item) for every item on pool, all at once; return the results in the order of items.

    Submit every item before waiting for any result. If a task raised, its
    exception comes out of here (result() raises it).
    """
    # TODO (task 1): submit every item (pool.submit), then collect result() of each, in input order.
    # TODO (task 2): let a task's exception come out of result() to the caller.
    raise NotImplementedError("not implemented yet: results_in_order — see exercises/pools/README.md, task 1")


def run_pool(fn, items, *, max_workers, mp_context, initializer=None, initargs=()):
    """Run fn over items in a ProcessPoolExecutor of at most max_workers processes; results in input order.

    The pool is made with mp_context, initializer and initargs as given, and is
    shut down (its processes joined) before this returns.
    """
    # TODO (task 4): a ProcessPoolExecutor in a with-block; pool.map; return a list.
    raise NotImplementedError("not implemented yet: run_pool — see exercises/pools/README.md, task 4")


def fetch(url):
    """GET url; return {"url": url, "text": the body decoded as UTF-8}. HTTP errors raise."""
    # TODO (task 3): urllib.request.urlopen(url, timeout=FETCH_TIMEOUT), read, decode.
    raise NotImplementedError("not implemented yet: fetch — see exercises/pools/README.md, task 3")


def title_of(page):
    """The text inside the page's <title> element, stripped; "" if it has none."""
    # TODO (task 3): search page["text"] with TITLE.
    raise NotImplementedError("not implemented yet: title_of — see exercises/pools/README.md, task 3")


def crawl(urls, results_path, *, max_workers=4, executor=ThreadPoolExecutor, lock_factory=threading.Lock,
          between=None):
    """Fetch every url on a pool of max_workers threads; a done-callback appends one line per page.

    The line is "<url> <title>" for a page fetched, "<url> ERROR <exception type>"
    for one that failed. The callback writes the url, calls between() if given,
    then writes the rest of the line — all while holding one lock made with
    lock_factory(). The pool comes from executor(max_workers=max_workers) and is
    shut down, waiting for every callback, before crawl() returns.
    """
    # TODO (task 3): one lock; submit fetch(url) for every url; add_done_callback with the url bound
    # (functools.partial); the callback checks future.exception(), then writes under the lock.
    # TODO (task 4): make the pool with executor(max_workers=max_workers) in a with-block.
    raise NotImplementedError("not implemented yet: crawl — see exercises/pools/README.md, task 3")


def first_match(fn, items, *, max_workers, executor=ThreadPoolExecutor):
    """Run fn(item) on a pool; return the first truthy result to complete, or None if none is.

    Once a match is found, cancel every task that has not started yet
    (shutdown(cancel_futures=True)) and wait for the running ones to finish.
    """
    # TODO (task 5): submit all; as_completed; on the first truthy result,
    # pool.shutdown(wait=True, cancel_futures=True) and return it.
    raise NotImplementedError("not implemented yet: first_match — see exercises/pools/README.md, task 5")
