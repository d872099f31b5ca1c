"""Tests for exercises/pools — one group per task in README.md.

Nothing here hopes for a lucky schedule. Completion order is forced: a relay
pool completes the last input first and the first input only once somebody
waits for a result. Concurrency is proved by requests meeting at a barrier on
a real HTTP server (127.0.0.1, started by a fixture), bounds by a peak counter
and a barrier one party too large, cancellation by gates that hold a finished
task's worker until the caller has had its chance to cancel.

Functions that worker processes run live in kata/support/pool_tasks.py, a module
light enough for spawn and forkserver children to import quickly; barriers
and events reach them through the pool's initializer, never as task arguments.
The pools, the tasks, the page server and the probes live where your module
runs (the ``probes`` and ``tasks`` fixtures): in this process, or under
--sandbox in the sandbox's, and the tests read what they saw as plain data.
"""
from pickle import PicklingError

import pytest

from kata import boundary, bounds
from kata.contexts import process_topic_fixture, spy_context_fixture
from kata.httpserver import page_html
from kata.probes import Window
from kata.support import pool_tasks
from kata.support import pools as probe
from kata.support.pool_tasks import PROCESS_HANG, square
from kata.workers import run_bounded

pools = process_topic_fixture("pools")  # refuses queues and locks kept as module globals
mp_context = spy_context_fixture()  # checks what children are sent; records what was built

ITEMS = (1, 2, 3, 4)
CPUS = 7  # what os.cpu_count() says while a test sizes a pool: never a max_workers a test asks for
SHORT = 0.1  # how long a correct pool is watched for a task it must not admit (paid once)
PAGES = {f"/page/{n}": page_html(f"Page {n}", words=10 + 7 * n) for n in range(6)}
MISSING = "/no/such/page"


# -- fixtures and helpers ----------------------------------------------------

@pytest.fixture
def probes():
    """kata.support.pools as your module's process has it: the pools, the server and the probes."""
    return boundary.support(probe)


@pytest.fixture
def site(probes):
    """A real HTTP server on 127.0.0.1 serving PAGES, where your module runs; site.meet() holds requests."""
    with probes.Site(PAGES) as server:
        yield server


@pytest.fixture
def tasks():
    """kata.support.pool_tasks as your module's process has it: the functions the pools run."""
    return boundary.support(pool_tasks)


@pytest.fixture(params=["thread", "process"])
def real_pool(request, mp_context, probes):
    if request.param == "thread":
        with probes.thread_pool(len(ITEMS)) as pool:
            yield pool
    else:
        with probes.process_pool(2, mp_context) as pool:
            yield pool


@pytest.fixture
def folder(tmp_path):
    """Where crawl() may write its results file."""
    return boundary.writable_dir(tmp_path)


@pytest.fixture
def process_pools(probes):
    """Every ProcessPoolExecutor the code makes during the test, held until the test ends, then shut down."""
    made = probes.ProcessPoolsMade()
    yield
    made.close()


@pytest.fixture
def cpus(probes):
    """os.cpu_count() says CPUS where your module runs, for this test: a pool sized by default gets CPUS."""
    pretended = probes.PretendCpus(CPUS)
    yield
    pretended.close()


@pytest.fixture
def hang(request):
    """How long real_pool's tasks may take before only a hang explains it (a process pool's start is slow)."""
    return PROCESS_HANG if request.node.callspec.params["real_pool"] == "process" else bounds.HANG


def url_of(site, path):
    return probe.checked_text(site.url(path), "the test server's url")


def meet(site, parties, over=None):
    """Hold the server's requests until ``parties`` are in at once (and, with ``over``, watch for one more)."""
    return site.meet(parties, over, SHORT)


def seen_at(meeting):
    """What the meeting point saw, read once as plain data: (requests that never met the others, timeline)."""
    seen = probe.checked(meeting.record(), probe.MEETING_RECORD, "the test's meeting point")
    return seen["missed"], seen["timeline"]


def story_of(recorder):
    """The pools a recorder made, read once as plain data: (max_workers of each, (wait, cancel) of each shutdown)."""
    seen = probe.checked(recorder.record(), probe.RECORDER_RECORD, "the test's pool recorder")
    return seen["made"], seen["shutdowns"]


def read_lines(path):
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def expected_line(path):
    return f"{path} {path.replace('/page/', 'Page ')}"


def crawl_site(pools, probes, site, folder, paths, recorder=None, **options):
    """crawl() the paths on a spied thread pool; return the urls and the lines written."""
    results = folder / "results.txt"
    urls = [url_of(site, path) for path in paths]
    recorder = probes.PoolRecorder() if recorder is None else recorder
    path = results if probes is probe else str(results)  # under --sandbox a Path would stay the judge's object
    try:
        run_bounded(pools.crawl, urls, path, executor=recorder.executor,
                    timeout=bounds.HANG + bounds.OVERLAP, what="crawl()", **options)
    finally:
        recorder.release()  # a stuck crawl must not leave pool threads waiting forever
        site.release()
    check_shut_down_and_waited(recorder)
    return urls, read_lines(results)


def check_shut_down_and_waited(recorder):
    """Name a pool left running, before its missing lines are blamed on anything else."""
    made, shutdowns = story_of(recorder)
    if any(not wait for wait, _ in shutdowns):
        pytest.fail("crawl() called shutdown(wait=False): it returned while pages were still being fetched and "
                    "parsed, and left the pool's threads running behind it — use the pool as a context manager "
                    "(with executor(...) as pool:), whose exit is shutdown(wait=True)", pytrace=False)
    if made and not shutdowns:
        pytest.fail("crawl() never shut its pool down: it returned while pages were still being fetched, and "
                    "the worker threads outlive the call — use a with-block", pytrace=False)


def lost_and_doubled(lines, expected):
    lost = [line for line in expected if line not in lines]
    doubled = sorted({line for line in lines if lines.count(line) > 1})
    return lost, doubled


# -- task 1: submit everything, then collect in input order ----------------------

@pytest.mark.task(1)
def test_results_come_back_in_input_order_though_tasks_finish_in_reverse(pools, real_pool, hang, probes, tasks):
    with probes.RelayPool(real_pool, len(ITEMS), patience=hang) as relay:
        result = run_bounded(pools.results_in_order, relay, tasks.square, list(ITEMS),
                             timeout=bounds.HANG + hang, what="results_in_order()")
    relay = probe.checked(relay.record(), probe.RELAY_RECORD, "the test's relay pool")
    expected = [square(x) for x in ITEMS]
    if relay["waited_early"]:
        pytest.fail(
            "results_in_order() waited for a result before it had submitted every item, so the tasks "
            "ran one at a time: submit them all first (a list of futures), then call result() on each",
            pytrace=False)
    completed = [square(ITEMS[i]) for i in relay["completion_order"] if 0 <= i < len(ITEMS)]
    if result == completed and result != expected:
        pytest.fail(
            f"the tasks finished last-first; results_in_order() returned {result}, in completion order; "
            f"expected input order {expected}\n{relay['timeline']}\n"
            "hint: as_completed() yields futures as they finish; keep your own list of futures in the order "
            "you submitted them and call result() on each in turn (or use pool.map)", pytrace=False)
    assert result == expected, (
        f"results_in_order(pool, square, {list(ITEMS)}) returned {result!r}; expected {expected}")


@pytest.mark.task(1)
def test_a_process_pool_runs_the_tasks_in_other_processes(pools, mp_context, probes, tasks):
    with probes.process_pool(2, mp_context) as pool:
        result = run_bounded(pools.results_in_order, pool, tasks.square_and_pid, list(ITEMS),
                             timeout=PROCESS_HANG, what="results_in_order() on a process pool")
    # Only what came back, not its order: which task a process pool finishes first is the machine's choice,
    # so order is judged where the test sets it (the test above, whose tasks finish in reverse).
    squares = sorted(value for value, _ in result)
    assert squares == sorted(square(x) for x in ITEMS), (
        f"results_in_order(process pool, square_and_pid, {list(ITEMS)}) gave squares {squares} (sorted); "
        f"expected one for each item: {sorted(square(x) for x in ITEMS)}")
    pids = {pid for _, pid in result}
    assert boundary.process_id() not in pids, (
        "a task ran in the test's own process: submit the work to the pool you were given "
        "(pool.submit(fn, item)) instead of calling fn(item) yourself")


# -- task 2: an exception in a task surfaces from result() ------------------------

@pytest.mark.task(2)
def test_an_exception_in_a_task_comes_out_of_results_in_order(pools, real_pool, hang, tasks):
    try:
        returned = run_bounded(pools.results_in_order, real_pool, tasks.fail_on_three, list(ITEMS),
                               timeout=hang, what="results_in_order()")
    except ValueError as exc:
        assert "task 3 failed on purpose" in str(exc), (
            f"results_in_order() raised ValueError({exc}); expected the task's own exception, "
            "'task 3 failed on purpose'")
        return
    pytest.fail(
        f"fail_on_three(3) raised ValueError in the pool, but results_in_order() returned {returned!r}: "
        "the exception was swallowed — let future.result() raise it to the caller, don't catch it and "
        "carry on (nor return future.exception() as a value)", pytrace=False)


@pytest.mark.task(2)
def test_the_other_results_are_not_affected_by_a_failure_elsewhere(pools, probes, tasks):
    with probes.thread_pool(2) as pool:
        result = run_bounded(pools.results_in_order, pool, tasks.fail_on_three, [1, 2, 4],
                             what="results_in_order()")
    # What came back, not its order, which two threads settle between them (task 1 judges the order).
    assert isinstance(result, list) and len(result) == 3 and all(value in result for value in (1, 2, 4)), (
        f"results_in_order(pool, fail_on_three, [1, 2, 4]) returned {result!r}; expected the three results "
        "[1, 2, 4]: no task failed, so none may be lost")


# -- task 3: crawl pages concurrently, parse each in a done-callback ---------------

@pytest.mark.task(3)
def test_fetch_returns_the_url_and_the_page_text(pools, site):
    url = url_of(site, "/page/2")
    page = run_bounded(pools.fetch, url, what=f"fetch({url!r})")
    assert isinstance(page, dict) and page.get("url") == url and page.get("text") == PAGES["/page/2"], (
        f"fetch({url!r}) returned {page!r:.200}; expected {{'url': url, 'text': the page's HTML}}")
    assert pools.title_of(page) == "Page 2", (
        f"title_of(page) returned {pools.title_of(page)!r}; expected 'Page 2', the text inside <title>")
    shouting = {"url": url, "text": "<HTML><HEAD><TITLE>\n  Two\n  lines  </Title></HEAD>"}
    title = pools.title_of(shouting)
    assert title == "Two\n  lines", (
        f"title_of(page) on {shouting['text']!r} returned {title!r}; expected 'Two\\n  lines': tags may be in "
        "any case and a title may span lines — search with TITLE as given (re.IGNORECASE | re.DOTALL), and "
        "strip what group(1) holds")


@pytest.mark.task(3)
def test_the_crawler_writes_one_line_per_page_none_lost_or_doubled(pools, probes, site, folder):
    paths = list(PAGES)[:4]
    meet(site, len(paths))
    urls, lines = crawl_site(pools, probes, site, folder, paths, max_workers=4)
    expected = [f"{url} Page {path.rsplit('/', 1)[1]}" for url, path in zip(urls, paths)]
    lost, doubled = lost_and_doubled(lines, expected)
    if doubled or lost:
        pytest.fail(
            f"crawl() of {len(urls)} pages wrote {len(lines)} lines: doubled {doubled}, lost {lost}\n"
            "hint: a done-callback is called with the future that finished — does your callback use the "
            "future it is given (its argument), or a variable from the loop? Bind the url with "
            "functools.partial(record, url), not with a lambda over the loop variables (README, task 3)",
            pytrace=False)
    assert sorted(lines) == sorted(expected), f"crawl() wrote {lines}; expected, in any order, {expected}"


@pytest.mark.task(3)
def test_the_crawler_fetches_the_pages_at_the_same_time(pools, probes, site, folder):
    paths = list(PAGES)[:4]
    meeting = meet(site, len(paths))
    recorder = probes.PoolRecorder()
    crawl_site(pools, probes, site, folder, paths, recorder)  # max_workers left at its default, 4
    missed, timeline = seen_at(meeting)
    made, _ = story_of(recorder)
    assert not missed, (
        f"crawl() (max_workers=4 by default) of 4 pages: the server never had all 4 requests in at once; pages "
        f"were fetched one after another\n{timeline}\n"
        "hint: submit every fetch to the pool and attach the callback; don't wait for a page "
        "(future.result()) before asking for the next one (README, task 3)")
    assert made == [4], (
        f"crawl() without a max_workers argument made pool(s) with max_workers={made}; expected one "
        "pool of 4, the default in crawl()'s signature: executor(max_workers=max_workers) — a pool made without "
        "max_workers gets ThreadPoolExecutor's default size")


@pytest.mark.task(3)
def test_the_callbacks_append_their_lines_under_one_lock(pools, probes, site, folder, lock_spy):
    paths = list(PAGES)[:4]
    meet(site, len(paths))  # all four answers come at once: the callbacks collide
    window = Window(lock_spy)
    urls, lines = crawl_site(pools, probes, site, folder, paths, max_workers=4,
                             lock_factory=lock_spy.factory, between=window)
    assert not window.overlapped, (
        "two done-callbacks were in the middle of writing their lines at the same time: they append "
        "without the lock, from several pool threads, and a line can be torn apart — hold one lock "
        "(made once, with lock_factory()) around the whole write, between() included")
    assert len(lock_spy.locks) == 1, (
        f"crawl() called lock_factory() {len(lock_spy.locks)} times; expected once: one lock shared by "
        "every callback (a lock made inside the callback protects nothing)")
    assert len(lines) == len(urls), f"crawl() of {len(urls)} pages wrote {len(lines)} lines: {lines}"


@pytest.mark.task(3)
def test_a_page_that_fails_gets_an_error_line_and_the_others_still_get_theirs(pools, probes, site, folder):
    paths = [*list(PAGES)[:3], MISSING]
    urls, lines = crawl_site(pools, probes, site, folder, paths, max_workers=4)
    missing_url = urls[-1]
    errors = [line for line in lines if line.startswith(missing_url + " ")]
    assert errors, (
        f"no line for {missing_url}, which the server answered with 404 (lines: {lines}): an exception "
        "inside a done-callback is only logged, never raised, so the line was silently lost — check "
        "future.exception() before calling result(), and write '<url> ERROR <exception type>'")
    assert errors == [f"{missing_url} ERROR HTTPError"], (
        f"the line for the missing page is {errors}; expected ['{missing_url} ERROR HTTPError']")
    good = [f"{url} Page {path.rsplit('/', 1)[1]}" for url, path in zip(urls, paths[:3])]
    assert sorted(line for line in lines if line not in errors) == sorted(good), (
        f"with one page missing, crawl() wrote {lines}; expected the three good pages' lines too: {good}")


# -- task 4: bound the pool, and shut it down ------------------------------------

@pytest.mark.task(4)
def test_the_crawler_never_fetches_more_than_max_workers_pages_at_once(pools, probes, site, folder):
    paths = list(PAGES)  # six pages, two workers
    meeting = meet(site, 2, over=3)
    recorder = probes.PoolRecorder()
    crawl_site(pools, probes, site, folder, paths, recorder, max_workers=2)
    peak = probe.checked_count(site.peak(), "the most requests the test server saw at once")
    missed, timeline = seen_at(meeting)
    made, _ = story_of(recorder)
    if made != [2] or peak > 2:
        pytest.fail(
            f"crawl(max_workers=2) made its pool with max_workers={made} and the server saw "
            f"{peak} requests at once; expected one pool of 2 and at most 2 requests at a time\n"
            f"{timeline}\nhint: executor(max_workers=max_workers) — a pool made without "
            "max_workers gets ThreadPoolExecutor's default size, far more than you were allowed",
            pytrace=False)
    assert not missed, (
        f"crawl(max_workers=2): the server never had 2 requests in at once; expected 2 at a time\n"
        f"{timeline}\nhint: submit every page before waiting for any")


@pytest.mark.task(4)
def test_the_crawler_shuts_its_pool_down_and_waits_for_every_callback(pools, probes, site, folder):
    recorder = probes.PoolRecorder()
    paths = list(PAGES)[:4]
    urls, lines = crawl_site(pools, probes, site, folder, paths, recorder, max_workers=4)
    made, shutdowns = story_of(recorder)
    assert made, "crawl() never called executor(...): make the pool with the executor it is given"
    assert (False, False) not in shutdowns and (False, True) not in shutdowns, (
        "crawl() called shutdown(wait=False): it returned while pages were still being fetched and "
        "parsed, and left the pool's threads running behind it — use the pool as a context manager "
        "(with executor(...) as pool:), whose exit is shutdown(wait=True)")
    assert shutdowns, (
        "crawl() never shut its pool down: the worker threads outlive the call — use a with-block")
    assert len(lines) == len(urls), (
        f"when crawl() returned, the results file had {len(lines)} lines for {len(urls)} pages: wait for "
        "the pool (a with-block) before returning")


def process_probes(tasks, ctx, probes):
    return dict(initializer=tasks.install_probes, initargs=probes.initargs, mp_context=ctx)


def call_run_pool(pools, fn, items, **options):
    try:
        return run_bounded(pools.run_pool, fn, items, timeout=PROCESS_HANG,
                           what="run_pool()", **options)
    except (PicklingError, AttributeError, TypeError) as exc:
        if "pickle" not in str(exc).lower() and "local object" not in str(exc):
            raise
        pytest.fail(
            f"run_pool() could not send its initializer to the worker processes ({type(exc).__name__}: "
            f"{exc}): a lambda, or a function defined inside another, can't be pickled, and spawn and "
            "forkserver children receive everything pickled — pass initializer=initializer, "
            "initargs=initargs on to ProcessPoolExecutor as they came", pytrace=False)


def check_the_pool_made(probes, mp_context, max_workers):
    """Fail, naming the parameter, if run_pool()'s pool ignored the mp_context or max_workers it was given."""
    story = probe.checked(probes.pool_story(mp_context), probe.POOL_STORY, "the test's context")
    if not story["workers"]:
        pytest.fail("run_pool() returned, but no worker process was started with the mp_context it was given: "
                    "the pool was made without it, so it used the platform's default start method — pass "
                    "mp_context=mp_context to ProcessPoolExecutor", pytrace=False)
    sizes = story["sizes"]
    if sizes != [max_workers]:
        pytest.fail(f"run_pool(max_workers={max_workers}) made process pool(s) of max_workers={sizes}; expected "
                    f"one pool of {max_workers}"
                    + (": a pool made without max_workers gets os.cpu_count() workers — pass max_workers to "
                       "ProcessPoolExecutor" if sizes == [CPUS] else ""), pytrace=False)
    # The test holds every pool made (process_pools), so one never shut down keeps its workers running.
    left = story["left"]
    if left:
        pytest.fail(f"run_pool() returned with {left} worker processes still running: the process pool was "
                    "never shut down — use it as a context manager (with ProcessPoolExecutor(...) as pool:), "
                    "whose exit shuts the pool down and joins its workers before you return", pytrace=False)


@pytest.mark.task(4)
def test_run_pool_runs_max_workers_tasks_at_once_and_never_more(pools, mp_context, probes, tasks, cpus,
                                                                process_pools):
    occupied = probes.Occupied(mp_context, PROCESS_HANG, SHORT)  # a second worker process may be slow to start
    result = call_run_pool(pools, tasks.occupy, [0, 1, 2, 3], max_workers=2,
                           **process_probes(tasks, mp_context, occupied))
    check_the_pool_made(probes, mp_context, 2)
    assert result == [0, 10, 20, 30], f"run_pool(occupy, [0, 1, 2, 3]) returned {result!r}; expected [0, 10, 20, 30]"
    seen = probe.checked(occupied.record(), probe.OCCUPIED_RECORD, "the tasks' counters")
    assert seen["peak"] <= 2, (
        f"run_pool(max_workers=2) had {seen['peak']} tasks running at once; expected at most 2: "
        "pass max_workers to ProcessPoolExecutor")
    assert seen["missed"] == 0, (
        "run_pool(max_workers=2) never had 2 tasks running at once: did you pass max_workers=1, or "
        "wait for each task before submitting the next?")


@pytest.mark.task(4)
def test_run_pool_keeps_input_order_and_leaves_no_worker_behind(pools, mp_context, probes, tasks, process_pools):
    reverse = probes.Reversed(mp_context, 2)  # item 1 may finish at once; item 0 waits until item 1 has
    result = call_run_pool(pools, tasks.finish_in_reverse, [0, 1], max_workers=2,
                           **process_probes(tasks, mp_context, reverse))
    finished = probe.checked(reverse.record(), probe.REVERSED_RECORD, "the tasks' notes")["finished"]
    assert result == [0, 1], (
        f"the tasks finished in the order {finished}; run_pool(square, [0, 1]) returned {result!r}; "
        "expected the input order, [0, 1]: pool.map keeps it, whatever order the tasks finish in")
    check_the_pool_made(probes, mp_context, 2)


# -- task 5: stop early: cancel what has not started --------------------------------

@pytest.mark.task(5)
def test_first_match_cancels_the_tasks_that_have_not_started(pools, probes):
    items = ["a", "b", "c", "d", "e"]
    recorder = probes.PoolRecorder(expect_cancelled=3, expect_submitted=len(items))
    look = probes.Lookout(recorder)  # "a" runs until the match is found; "b" matches once all are submitted
    try:
        result = run_bounded(pools.first_match, look, items, max_workers=2, executor=recorder.executor,
                             timeout=bounds.HANG + bounds.HANG, what="first_match()")
    finally:
        recorder.release()
    assert result == "found b", f"first_match() returned {result!r}; expected 'found b', the only match"
    started = probe.checked(look.record(), probe.LOOKOUT_RECORD, "the test's task")["started"]
    _, shutdowns = story_of(recorder)
    late = sorted(set(started) - {"a", "b"})
    assert not late, (
        f"after 'b' matched, the tasks for {late} still started: they were waiting in the queue and "
        "nobody cancelled them — call pool.shutdown(cancel_futures=True) as soon as you have the match "
        f"(shutdown calls seen: {shutdowns})")
    assert shutdowns, "first_match() never shut its pool down: use a with-block"


@pytest.mark.task(5)
def test_first_match_returns_none_when_nothing_matches(pools, tasks):
    result = run_bounded(pools.first_match, tasks.no_match, ["a", "b", "c"], max_workers=2,
                         what="first_match()")
    assert result is None, f"first_match() with no matching item returned {result!r}; expected None"
