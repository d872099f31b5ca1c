"""Process locks: several processes, one file, one lock passed to each of them.

Read exercises/process_locks/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/process_locks --start-method spawn
(and with fork and forkserver too: a correct solution passes under all three).
"""
import multiprocessing


def report(path, name, lock, between=None):
    """Append two lines for one worker to the file at path, kept together by lock.

    Writes f"{name}: started\\n", calls between() if it was given, then writes
    f"{name}: finished\\n". Each line is one write(), flushed at once; the lock is
    held from before the first line until after the second.

    This is the target each child process runs, so it must stay a module-level
    function: spawn and forkserver find it again by importing this module.
    """
    # TODO (task 1): open the file in append mode; under the lock write and flush
    # the first line, call between(), write and flush the second line.
    raise NotImplementedError("not implemented yet: report — see exercises/process_locks/README.md, task 1")


def run_reports(path, names, mp_context, between=None, lock_factory=None):
    """Run report(path, name, lock, between) in one process per name, all at once.

    Makes ONE lock with lock_factory() (mp_context.Lock when None) in this process
    and passes it to every child as a Process argument. Starts every process
    before joining any; returns their exit codes, in the order of names.
    """
    # TODO (task 2): one lock; one mp_context.Process per name with
    # args=(path, name, lock, between); start them all, then join them all.
    raise NotImplementedError("not implemented yet: run_reports — see exercises/process_locks/README.md, task 2")


def add_visits(counter, times, between=None):
    """Add one to counter.value, times times, losing no update to other processes.

    counter is a multiprocessing.Value. Each time: take counter.get_lock(), read
    counter.value, call between() if given, write the value plus one, release.
    """
    # TODO (task 3): a read-modify-write under counter.get_lock(), times times.
    raise NotImplementedError("not implemented yet: add_visits — see exercises/process_locks/README.md, task 3")


def count_in_processes(counter, workers, times, mp_context, between=None):
    """Run add_visits(counter, times, between) in workers processes at once; return counter.value.

    counter is a multiprocessing.Value made by the caller; pass it to each child
    as a Process argument. Start them all, then join them all.
    """
    # TODO (task 3): workers processes running add_visits; start all, join all,
    # then return the counter's value.
    raise NotImplementedError(
        "not implemented yet: count_in_processes — see exercises/process_locks/README.md, task 3")
