"""Pools: hand work to a pool of processes or threads, and collect what comes back.

Reference solution. Same public API as exercises/pools/pools.py.
"""
import functools
import re
import threading
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed

FETCH_TIMEOUT = 10.0  # seconds a fetch may take before urlopen gives up
TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def results_in_order(pool, fn, items):
    """Run fn(item) for every item on pool, all at once; return the results in the order of items.

    Submit every item before waiting for any result. If a task raised, its
    exception comes out of here (result() raises it).
    """
    futures = [pool.submit(fn, item) for item in items]
    return [future.result() for future in futures]


def run_pool(fn, items, *, max_workers, mp_context, initializer=None, initargs=()):
    """Run fn over items in a ProcessPoolExecutor of at most max_workers processes; results in input order.

    The pool is made with mp_context, initializer and initargs as given, and is
    shut down (its processes joined) before this returns.
    """
    with ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context,
                             initializer=initializer, initargs=initargs) as pool:
        return list(pool.map(fn, items))


def fetch(url):
    """GET url; return {"url": url, "text": the body decoded as UTF-8}. HTTP errors raise."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
        return {"url": url, "text": response.read().decode("utf-8")}


def title_of(page):
    """The text inside the page's <title> element, stripped; "" if it has none."""
    match = TITLE.search(page["text"])
    return match.group(1).strip() if match else ""


def crawl(urls, results_path, *, max_workers=4, executor=ThreadPoolExecutor, lock_factory=threading.Lock,
          between=None):
    """Fetch every url on a pool of max_workers threads; a done-callback appends one line per page.

    The line is "<url> <title>" for a page fetched, "<url> ERROR <exception type>"
    for one that failed. The callback writes the url, calls between() if given,
    then writes the rest of the line — all while holding one lock made with
    lock_factory(). The pool comes from executor(max_workers=max_workers) and is
    shut down, waiting for every callback, before crawl() returns.
    """
    lock = lock_factory()

    def record(url, future):
        error = future.exception()
        if error is not None:
            rest = f" ERROR {type(error).__name__}\n"
        else:
            rest = f" {title_of(future.result())}\n"
        with lock:
            with open(results_path, "a", encoding="utf-8") as out:
                out.write(url)
                if between is not None:
                    between()
                out.write(rest)

    with executor(max_workers=max_workers) as pool:
        for url in urls:
            future = pool.submit(fetch, url)
            future.add_done_callback(functools.partial(record, url))


def first_match(fn, items, *, max_workers, executor=ThreadPoolExecutor):
    """Run fn(item) on a pool; return the first truthy result to complete, or None if none is.

    Once a match is found, cancel every task that has not started yet
    (shutdown(cancel_futures=True)) and wait for the running ones to finish.
    """
    with executor(max_workers=max_workers) as pool:
        futures = [pool.submit(fn, item) for item in items]
        for future in as_completed(futures):
            result = future.result()
            if result:
                pool.shutdown(wait=True, cancel_futures=True)
                return result
    return None
