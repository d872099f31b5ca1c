"""A lambda or local function sent to a child process is explained, whatever error this Python raises."""
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest

from kata import engine, pickling, trees
from kata.mistakes import Mistake

pytestmark = pytest.mark.timeout(300)  # pools and spawn children on a machine that may be crowded


def local_function():
    def square(x):
        return x * x

    return square


SENDERS = {
    "lambda": lambda: (lambda x: x * x),
    "local function": local_function,
}


def error_of(call) -> BaseException:
    try:
        call()
    except Exception as exc:  # what the student's code would see
        return exc
    pytest.fail(f"{call} raised nothing; expected a pickling error")


def start_process(ctx, target):
    process = ctx.Process(target=target, args=(3,))
    process.start()
    process.join()


def pool_submit(ctx, target):
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        pool.submit(target, 3).result(timeout=60)


def pool_map(ctx, target):
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        list(pool.map(target, [3], timeout=60))


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("method, where", [
    ("spawn", start_process), ("forkserver", start_process),
    ("spawn", pool_submit), ("forkserver", pool_map), ("fork", pool_submit),  # pool tasks are always pickled
])
def test_the_pickling_error_of_each_start_method_and_version_is_explained(method, where, sender):
    exc = error_of(lambda: where(multiprocessing.get_context(method), SENDERS[sender]()))
    told = pickling.explain(exc)
    assert told and "could not be pickled" in told and "top level of your module" in told, (
        f"{where.__name__} of a {sender} under {method} raised {type(exc).__name__}: {exc}; "
        f"expected the kata's explanation, got: {told!r}")


@pytest.mark.parametrize("exc", [TypeError("unsupported operand"), AttributeError("'int' has no attribute 'x'"),
                                 TypeError("<lambda>() takes 0 positional arguments but 1 was given")])
def test_other_errors_are_left_alone(exc):
    assert pickling.explain(exc) is None, f"{exc!r} is no pickling error, but it was explained as one"


SOLUTIONS = trees.SOLUTIONS


@pytest.mark.parametrize("topic, edit, method", [
    ("process_locks", ("mp_context.Process(target=report, args=(path, name, lock, between)",
                       "mp_context.Process(target=lambda: report(path, name, lock, between)"), "spawn"),
    ("gil", ("return list(pool.map(work, items))", "return list(pool.map(lambda item: work(item), items))"),
     "fork"),
])
def test_a_topic_run_explains_the_pickling_error_instead_of_showing_it_raw(tmp_path, topic, edit, method):
    tree = Mistake(f"{topic}-lambda", (edit,), expect="").build(topic, trees.module_path(SOLUTIONS, topic), tmp_path)
    run = engine.run_topic(topic, tree, start_method=method)
    about_pickling = [r for r in run.failed if "pickle" in r["output"].lower() or "local object" in r["output"]]
    assert about_pickling, f"a lambda sent to a child should fail a {topic} test:\n{run.output[-2000:]}"
    raw = [r for r in about_pickling if "could not be pickled for a child process" not in r["output"]]
    assert not raw, (f"{len(raw)} {topic} test(s) showed the raw pickling error instead of the kata's "
                     f"explanation:\n{raw[0]['output'][:1500] if raw else ''}")
    assert f"{topic}.py, line" in about_pickling[0]["output"], (
        f"the explanation should name the student's line:\n{about_pickling[0]['output'][:1500]}")
