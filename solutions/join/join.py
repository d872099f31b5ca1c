"""Join: wait for workers to finish — all of them, or only for a while.

Reference solution. Same public API as exercises/join/join.py.
"""
import threading


def run_threads(work, labels):
    """Run work(label) in one thread per label, all at the same time; return once every one has finished.

    Each thread is named after its label.
    """
    threads = [threading.Thread(target=work, args=(label,), name=label) for label in labels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_processes(work, labels, mp_context, common_args=()):
    """Run work(label, *common_args) in one child process per label, all at the same time.

    Returns {label: exit code} once every child has finished.
    """
    processes = {label: mp_context.Process(target=work, args=(label, *common_args), name=label)
                 for label in labels}
    for process in processes.values():
        process.start()
    for process in processes.values():
        process.join()
    return {label: process.exitcode for label, process in processes.items()}


def finished_within(worker, timeout):
    """Wait at most timeout seconds for a thread or process; return whether it has finished."""
    worker.join(timeout)
    return not worker.is_alive()
