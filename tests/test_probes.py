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
    assert not timeline.overlapped(), f"two spans run one after the other should not overlap:\n{timeline.render()}"
    assert timeline.render().splitlines() == ["  one |###      |", "  two |      ###|"], (
        f"two serial spans should draw as a staircase, drew:\n{timeline.render()}")


def test_a_timeline_sees_overlap_and_unfinished_spans():
    timeline = Timeline()
    timeline.start("a")
    timeline.start("b")
    timeline.end("a")
    assert timeline.overlapped(), f"b started before a ended, yet no overlap was seen:\n{timeline.render()}"
    assert "(never finished)" in timeline.render(), f"span b never ended; the drawing omits it:\n{timeline.render()}"


def test_a_rendezvous_trips_only_when_all_parties_are_in():
    meeting = Rendezvous(2, timeout=5)
    workers = [Worker(meeting.meet, name).start() for name in ("x", "y")]
    assert all(w.finished() for w in workers), (
        "two workers meeting a 2-party rendezvous did not both return: "
        f"alive {[w.thread.is_alive() for w in workers]}")
    assert meeting.tripped, f"both parties came, yet it did not trip: met {meeting.met}, missed {meeting.missed}"
    lonely = Rendezvous(2, timeout=0.01)
    assert lonely.meet("alone") is False, "a lone party of a 2-party rendezvous should time out and get False"
    assert not lonely.tripped, f"a rendezvous with one party in tripped: met {lonely.met}, missed {lonely.missed}"
    assert lonely.missed == ["alone"], f"the lone party should be recorded as missed, missed is {lonely.missed}"


def test_a_window_releases_its_first_thread_when_another_waits_for_the_spied_lock():
    spy = LockSpy()
    lock = spy.factory()
    window = Window(spy)

    def guarded():
        with lock:
            window()

    first = Worker(guarded).start()
    assert window.first_inside.wait(5), "the first thread did not enter the window within 5 s"
    second = Worker(guarded).start()
    assert first.finished() and second.finished(), (
        "the window did not let its threads go once the second waited for the spied lock: "
        f"first alive {first.thread.is_alive()}, second alive {second.thread.is_alive()}")
    assert not window.overlapped, f"the spied lock should keep the second thread out, peak inside {window.region.peak}"
    assert spy.acquisitions == 2, f"two threads took the spied lock, the spy counted {spy.acquisitions}"
    assert not spy.any_held(), "both threads are done, yet the spied lock is still held"


def test_a_window_sees_two_threads_inside_when_nothing_excludes_them():
    spy = LockSpy()
    spy.factory()
    window = Window(spy)
    first = Worker(window).start()
    assert window.first_inside.wait(5), "the first thread did not enter the window within 5 s"
    second = Worker(window).start()
    assert first.finished() and second.finished(), (
        "two unguarded threads did not both leave the window: "
        f"first alive {first.thread.is_alive()}, second alive {second.thread.is_alive()}")
    assert window.overlapped, f"nothing kept the second thread out, yet at most {window.region.peak} was inside"


def test_a_spied_lock_excludes_and_times_out_like_a_lock():
    lock = LockSpy().factory()
    assert lock.acquire(), "acquire() on a fresh spied lock returned False"
    assert lock.acquire(timeout=0.01) is False, "acquire(timeout=0.01) on a held spied lock should time out with False"
    assert lock.acquire(blocking=False) is False, "acquire(blocking=False) on a held spied lock should return False"
    released = threading.Event()
    lock.release()
    released.set()
    assert not lock.locked(), "the spied lock still reads as locked after release()"


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
