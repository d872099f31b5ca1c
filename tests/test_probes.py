"""The probes report what happened, deterministically."""
import threading

import pytest

from kata.expect import raises
from kata.probes import LockSpy, Rendezvous, Window
from kata.timeline import Timeline
from kata.workers import Worker


def test_a_timeline_draws_serial_spans_as_a_staircase():
    timeline = Timeline()
    for name in ("one", "two"):
        with timeline.span(name):
            pass
    assert not timeline.overlapped()
    assert timeline.render().splitlines() == ["  one |###      |", "  two |      ###|"]


def test_a_timeline_sees_overlap_and_unfinished_spans():
    timeline = Timeline()
    timeline.start("a")
    timeline.start("b")
    timeline.end("a")
    assert timeline.overlapped()
    assert "(never finished)" in timeline.render()


def test_a_rendezvous_trips_only_when_all_parties_are_in():
    meeting = Rendezvous(2, timeout=5)
    workers = [Worker(meeting.meet, name).start() for name in ("x", "y")]
    assert all(w.finished() for w in workers) and meeting.tripped
    lonely = Rendezvous(2, timeout=0.01)
    assert lonely.meet("alone") is False and not lonely.tripped and lonely.missed == ["alone"]


def test_a_window_releases_its_first_thread_when_another_waits_for_the_spied_lock():
    spy = LockSpy()
    lock = spy.factory()
    window = Window(spy)

    def guarded():
        with lock:
            window()

    first = Worker(guarded).start()
    assert window.first_inside.wait(5)
    second = Worker(guarded).start()
    assert first.finished() and second.finished()
    assert not window.overlapped and spy.acquisitions == 2 and not spy.any_held()


def test_a_window_sees_two_threads_inside_when_nothing_excludes_them():
    spy = LockSpy()
    spy.factory()
    window = Window(spy)
    first = Worker(window).start()
    assert window.first_inside.wait(5)
    second = Worker(window).start()
    assert first.finished() and second.finished() and window.overlapped


def test_a_spied_lock_excludes_and_times_out_like_a_lock():
    lock = LockSpy().factory()
    assert lock.acquire()
    assert lock.acquire(timeout=0.01) is False and lock.acquire(blocking=False) is False
    released = threading.Event()
    lock.release()
    released.set()
    assert not lock.locked()


def test_raises_explains_a_missing_or_wrong_exception_and_lets_a_stub_through():
    with raises(ValueError, "f()", "why") as caught:
        raise ValueError("bad")
    assert str(caught.value) == "bad", "raises() should keep the exception it expected"
    with pytest.raises(pytest.fail.Exception, match=r"^f\(\) raised nothing; expected ValueError: why$"):
        with raises(ValueError, "f()", "why"):
            pass
    with pytest.raises(pytest.fail.Exception, match=r"^f\(\) raised KeyError: 'k'; expected ValueError or TypeError"):
        with raises((ValueError, TypeError), "f()", "why"):
            raise KeyError("k")
    with pytest.raises(NotImplementedError):  # a RuntimeError, yet a stub must still read as "not implemented"
        with raises(RuntimeError, "f()", "why"):
            raise NotImplementedError("not implemented yet")
