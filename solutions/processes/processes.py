"""Processes: run a function in a child process, watch it, hear back from it.

Reference solution. Same public API as exercises/processes/processes.py.
"""
import multiprocessing
import os


def start_child(ctx, target, item, **options):
    """Start a child process of ctx that calls target(item, **options); return the started Process."""
    process = ctx.Process(target=target, args=(item,), kwargs=options)
    process.start()
    return process


def snapshot(process):
    """What a Process object says about its process right now: {"pid", "alive", "exitcode"}."""
    return {"pid": process.pid, "alive": process.is_alive(), "exitcode": process.exitcode}


def exit_code(process):
    """Start process, wait for it to end, and return its exit code."""
    process.start()
    process.join()
    return process.exitcode


def stop(process):
    """Stop a running process with terminate(), wait until it is gone, and return its exit code."""
    process.terminate()
    process.join()
    return process.exitcode


def _compute_and_send(func, item, results):
    # Runs in the child: its memory is its own, so the result must travel back.
    results.put(func(item))


def compute_in_child(ctx, func, item):
    """Compute func(item) in a child process of ctx and return the result to the caller."""
    results = ctx.Queue()
    process = ctx.Process(target=_compute_and_send, args=(func, item, results))
    process.start()
    result = results.get()  # drain first: a child with a large unread result cannot end
    process.join()
    return result


class Squarer(multiprocessing.Process):
    """A process that squares numbers: for each n, it puts (its pid, n, n * n) on results."""

    def __init__(self, numbers, results):
        """Keep the numbers and the results queue; nothing runs until start()."""
        super().__init__()
        self.numbers = list(numbers)
        self.results = results

    def run(self):
        """What the child does once start() has created it."""
        for n in self.numbers:
            self.results.put((os.getpid(), n, n * n))
