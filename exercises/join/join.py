"""Join: wait for workers to finish — all of them, or only for a while.

Read exercises/join/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/join
"""
import threading


def run_threads(work, labels):
    """Run work(label) in one thread per label, all at the same time; return once every one has finished.

    Each thread is named after its label. The tests hand in a work function that
    only finishes when every thread is inside it at once.
    """
    # TODO (task 1): one named thread per label; start them all, then join them all.
    raise NotImplementedError("not implemented yet: run_threads — see exercises/join/README.md, task 1")


def run_processes(work, labels, mp_context, common_args=()):
    """Run work(label, *common_args) in one child process per label, all at the same time.

    Make each child with mp_context.Process, so that the tests can choose the
    start method. common_args go to every child after its label: that is how a
    barrier or a lock reaches a child process. Returns {label: exit code} once
    every child has finished.
    """
    # TODO (task 2): one process per label, args=(label, *common_args); start them all,
    # then join them all; return each child's exitcode by label.
    raise NotImplementedError("not implemented yet: run_processes — see exercises/join/README.md, task 2")


def finished_within(worker, timeout):
    """Wait at most timeout seconds for a thread or process; return whether it has finished.

    worker is a started threading.Thread or multiprocessing Process: both have
    join() and is_alive().
    """
    # TODO (task 3): a join that gives up after timeout seconds, then ask the worker.
    raise NotImplementedError("not implemented yet: finished_within — see exercises/join/README.md, task 3")
