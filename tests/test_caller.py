"""kata.caller's RLock stands in for threading.RLock wherever a test's Condition uses it."""
import threading

from kata import caller


def public(obj) -> set[str]:
    """Its lock API; the C lock's old aliases (acquire_lock, ...) are left out."""
    return {name for name in dir(obj) if (not name.startswith("_") or name in ("__enter__", "__exit__"))
            and not name.endswith("_lock")}


def test_the_reentrant_lock_has_every_method_of_the_standard_locks():
    # threading.Condition copies acquire, release and (since 3.14) locked from its lock: a method missing
    # here breaks every Condition built on it on a newer Python, so compare with Lock as well as RLock.
    missing = (public(threading.Lock()) | public(threading.RLock())) - public(caller.RLock())
    assert not missing, f"kata.caller.RLock lacks {sorted(missing)}, which threading's locks have"


def test_a_condition_on_it_waits_and_is_notified():
    lock = caller.RLock()
    condition = threading.Condition(lock)
    woken = []

    def waiter():
        with condition:
            woken.append(condition.wait_for(lambda: "go" in woken, timeout=10))

    with condition:
        assert lock.locked(), "a held kata.caller.RLock says it is not locked"
        assert condition.wait(0) is False, "a Condition wait with timeout 0 on kata.caller.RLock did not time out"
    assert not lock.locked(), "a released kata.caller.RLock says it is still locked"
    thread = threading.Thread(target=waiter)
    thread.start()
    with condition:
        woken.append("go")
        condition.notify_all()
    thread.join(10)
    assert not thread.is_alive() and woken[-1] is True, f"the waiter on kata.caller.RLock was not woken: {woken}"
