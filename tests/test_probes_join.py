"""The JoinGate tells work that was joined from work that outlived its call, whatever the timing."""
import threading

import pytest

from kata.probes_join import JoinGate

WORKERS = 3


def join_each(threads):
    for thread in threads:
        thread.join()


def join_the_last(threads):
    threads[-1].join()


def join_none(threads):
    pass


def join_each_with_a_timeout(threads):
    for thread in threads:
        thread.join(0.05)


def join_again_until_finished(threads):
    for thread in threads:
        while thread.is_alive():
            thread.join(0.02)


def run_under_a_gate(joiner):
    gate = JoinGate()
    threads = [threading.Thread(target=gate.hold, name=f"held-{n}") for n in range(WORKERS)]
    with gate.watching(workers=WORKERS):
        for thread in threads:
            thread.start()
        joiner(threads)
    for thread in threads:
        thread.join()
    return gate


@pytest.mark.parametrize("joiner", [join_each, join_again_until_finished])
def test_work_whose_threads_are_all_joined_is_let_go_and_recorded_as_finished(joiner):
    gate = run_under_a_gate(joiner)
    assert gate.all_left and not gate.outlived and not gate.timed_joins and not gate.never_joined, (
        f"{joiner.__name__}: every thread was joined until it finished, yet the gate recorded "
        f"outlived={gate.outlived}, timed_joins={gate.timed_joins}, never_joined={gate.never_joined}")


@pytest.mark.parametrize("joiner, outlived, timed", [
    (join_the_last, WORKERS - 1, 0),
    (join_none, WORKERS, 0),
    (join_each_with_a_timeout, WORKERS, WORKERS),
])
def test_work_left_running_when_the_call_returns_is_recorded(joiner, outlived, timed):
    gate = run_under_a_gate(joiner)
    assert gate.all_left, f"{joiner.__name__}: the held workers did not all leave once the call returned"
    assert (len(gate.outlived), len(gate.timed_joins)) == (outlived, timed), (
        f"{joiner.__name__}: the gate recorded outlived={gate.outlived}, timed_joins={gate.timed_joins}; "
        f"expected {outlived} outlived, {timed} of them after a join(timeout)")


def test_a_call_that_raises_waits_for_no_worker():
    gate = JoinGate()
    with pytest.raises(KeyError), gate.watching(workers=WORKERS):
        raise KeyError("the call under test failed before starting any thread")
    assert not gate.outlived and gate.entered == 0, "a gate around a call that raised recorded workers"


def test_work_that_is_waited_for_by_other_means_than_join_gives_up_after_the_hang_bound():
    gate = JoinGate(hang=0.05)
    thread = threading.Thread(target=gate.hold, name="watched")
    pause = threading.Event()
    with gate.watching(workers=1):
        thread.start()
        while thread.is_alive():  # waits for the thread without joining it: the gate cannot see that
            pause.wait(0.01)
    thread.join()
    assert gate.never_joined == ["watched"] and not gate.outlived, (
        f"a thread never joined but waited for until it ended: never_joined={gate.never_joined}, "
        f"outlived={gate.outlived}; expected it recorded as never joined, not as outliving the call")
