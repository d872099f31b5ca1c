"""The library's refusals are explained, by the very error this Python raises."""
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kata import misuse


def started_and_finished() -> threading.Thread:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    return thread


def finished_process():
    process = multiprocessing.get_context("spawn").Process(target=int)
    process.start()
    process.join()
    return process


def shut_down_pool() -> ThreadPoolExecutor:
    pool = ThreadPoolExecutor(max_workers=1)
    pool.shutdown()
    return pool


CALLS = {
    "join before start": lambda: threading.Thread(target=lambda: None).join(),
    "start twice": lambda: started_and_finished().start(),
    "join itself": lambda: threading.current_thread().join(),
    "release a free Lock": lambda: threading.Lock().release(),
    "release an RLock not held": lambda: threading.RLock().release(),
    "submit after shutdown": lambda: shut_down_pool().submit(print),
    "join a process never started": lambda: multiprocessing.get_context("spawn").Process(target=int).join(),
    "start a process twice": lambda: finished_process().start(),
}


def error_of(call) -> BaseException:
    try:
        call()
    except Exception as exc:  # what the student's code would see
        return exc
    pytest.fail(f"{call} raised nothing; expected the library to refuse it")


@pytest.mark.parametrize("call", CALLS)
def test_each_refusal_is_explained_with_the_error_kept(call):
    exc = error_of(CALLS[call])
    explained = misuse.explain(exc)
    assert explained is not None, f"{call}: {type(exc).__name__}: {exc} is not explained; update kata.misuse"
    assert explained.startswith(f"{type(exc).__name__}: {exc}\n"), f"{call}: the error's own line is lost:\n{explained}"


def test_every_refusal_is_met_by_a_real_call():
    seen = {(type(exc), str(exc)) for exc in map(error_of, CALLS.values())}
    untried = set(misuse.REFUSALS) - seen
    assert not untried, f"refusals no call here raises (their words may have changed): {untried}"


def test_other_errors_keep_their_own_message():
    assert misuse.explain(RuntimeError("something else")) is None
    assert misuse.explain(ValueError("release unlocked lock")) is None, "the type is part of the match"
