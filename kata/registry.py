"""The one list of topics, in teaching order.

README tables, the grader's points and the CLI's hints all read from here.
A topic enters this list when its exercise, tests, solution and catalogue of
known mistakes are all in place: the self-checks run over every entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    number: int
    title: str
    points: int  # per test of this task
    hints: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    sections: str  # where the tutorial covers it
    tasks: tuple[Task, ...]

    def task(self, number: int) -> Task:
        for task in self.tasks:
            if task.number == number:
                return task
        raise KeyError(f"{self.name} has no task {number}")


TOPICS: tuple[Topic, ...] = (
    # processes
    # join
    # daemons
    # process_locks
    # ssh
    # threads
    Topic(
        name="locks",
        title="Mutual exclusion with threading.Lock",
        sections="2.4, 2.5",
        tasks=(
            Task(1, "A counter that loses no update", 2, (
                "A read-modify-write (read the value, compute, write it back) is three steps; "
                "another thread can run between any two of them.",
                "Make one lock per counter, in __init__, with self._lock = lock_factory().",
                "Hold the lock from the read through the write: put both inside one `with self._lock:` block, "
                "and call between() inside it too.",
            )),
            Task(2, "Lock the critical section, not the whole job", 2, (
                "The work needs no lock: only report() touches shared state.",
                "Start every thread first, then join them all; start-join-start-join runs one after another.",
                "Inside each thread: result = work(name) with no lock held, then `with lock: report(name, result)`.",
            )),
            Task(3, "Release the lock when the critical section raises", 2, (
                "If between() raises, the code after it never runs: a release() written there is skipped.",
                "`with self._lock:` releases on the way out, whether the block returns or raises.",
            )),
            Task(4, "Give up after a timeout; look without touching", 2, (
                "lock.acquire(timeout=t) waits at most t seconds and returns False if it got nothing.",
                "Only release what you acquired: check acquire()'s return value first.",
                "lock.locked() tells whether somebody holds the lock, without waiting for it.",
            )),
            Task(5, "One lock shared by several methods", 2, (
                "increment() and decrement() change the same value, so they are one critical section in two places.",
                "Use self._lock in both; a second lock would let them run over each other.",
            )),
        ),
    ),
    # gil
    # deadlocks
    # semaphores
    # events
    # timers
    # queues
    # pools
)


def names() -> list[str]:
    return [topic.name for topic in TOPICS]


def get(name: str) -> Topic:
    for topic in TOPICS:
        if topic.name == name:
            return topic
    known = ", ".join(names())
    raise KeyError(f"no topic named {name!r}; the topics are: {known}")
