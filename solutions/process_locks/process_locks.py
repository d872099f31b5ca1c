"""Process locks: several processes, one file, one lock passed to each of them.

Reference solution. Same public API as exercises/process_locks/process_locks.py.
"""
import multiprocessing


def report(path, name, lock, between=None):
    """Append two lines for one worker to the file at path, kept together by lock.

    Writes f"{name}: started\\n", calls between() if it was given, then writes
    f"{name}: finished\\n". Each line is one write(), flushed at once; the lock is
    held from before the first line until after the second.
    """
    with lock:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name}: started\n")
            out.flush()
            if between is not None:
                between()
            out.write(f"{name}: finished\n")
            out.flush()


def run_reports(path, names, mp_context, between=None, lock_factory=None):
    """Run report(path, name, lock, between) in one process per name, all at once.

    Makes ONE lock with lock_factory() (mp_context.Lock when None) in this process
    and passes it to every child as a Process argument. Starts every process
    before joining any; returns their exit codes, in the order of names.
    """
    make_lock = lock_factory if lock_factory is not None else mp_context.Lock
    lock = make_lock()
    processes = [mp_context.Process(target=report, args=(path, name, lock, between), name=f"report-{name}")
                 for name in names]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return [process.exitcode for process in processes]


def add_visits(counter, times, between=None):
    """Add one to counter.value, times times, losing no update to other processes.

    counter is a multiprocessing.Value. Each time: take counter.get_lock(), read
    counter.value, call between() if given, write the value plus one, release.
    """
    for _ in range(times):
        with counter.get_lock():
            current = counter.value
            if between is not None:
                between()
            counter.value = current + 1


def count_in_processes(counter, workers, times, mp_context, between=None):
    """Run add_visits(counter, times, between) in workers processes at once; return counter.value.

    counter is a multiprocessing.Value made by the caller; pass it to each child
    as a Process argument. Start them all, then join them all.
    """
    processes = [mp_context.Process(target=add_visits, args=(counter, times, between), name=f"visitor-{number}")
                 for number in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    with counter.get_lock():
        return counter.value

