"""Processes: run a function in a child process, watch it, hear back from it.

Read exercises/processes/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/processes
(and --start-method spawn, forkserver or fork to try each way of starting a child).

Every function takes ``ctx``, a multiprocessing context: make processes with
ctx.Process and queues with ctx.Queue, never with bare multiprocessing.Process,
so the tests can run your code under every start method.
"""
import multiprocessing
import os  # noqa: F401 - you will want os.getpid() in task 5


def start_child(ctx, target, item, **options):
    """Start a child process of ctx that calls target(item, **options); return the started Process.

    Do not wait for the child: the caller decides when to join it.
    """
    # TODO (task 1): ctx.Process(target=..., args=..., kwargs=...), start it, return it.
    raise NotImplementedError("not implemented yet: start_child — see exercises/processes/README.md, task 1")


def snapshot(process):
    """What a Process object says about its process right now: {"pid", "alive", "exitcode"}.

    "pid" is process.pid, "alive" whether the process is running now (True or
    False), "exitcode" process.exitcode.
    """
    # TODO (task 2): read the three facts from the Process object.
    raise NotImplementedError("not implemented yet: snapshot — see exercises/processes/README.md, task 2")


def exit_code(process):
    """Start process, wait for it to end, and return its exit code."""
    # TODO (task 3): start, wait until it has ended, then read exitcode.
    raise NotImplementedError("not implemented yet: exit_code — see exercises/processes/README.md, task 3")


def stop(process):
    """Stop a running process with terminate(), wait until it is gone, and return its exit code."""
    # TODO (task 3): terminate, wait, read exitcode (it will be negative: -SIGTERM).
    raise NotImplementedError("not implemented yet: stop — see exercises/processes/README.md, task 3")


def compute_in_child(ctx, func, item):
    """Compute func(item) in a child process of ctx and return the result to the caller.

    The child must do the work; the result comes back through a ctx.Queue (or
    a ctx.Pipe). The child's target must be a module-level function of this
    file (write one), because spawn and forkserver children import it by name.
    """
    # TODO (task 4): a queue, a child whose target computes func(item) and put()s it,
    # get() the result, then join the child, then return the result.
    raise NotImplementedError("not implemented yet: compute_in_child — see exercises/processes/README.md, task 4")


class Squarer(multiprocessing.Process):
    """A process that squares numbers: for each n, it puts (its pid, n, n * n) on results."""

    def __init__(self, numbers, results):
        """Keep the numbers and the results queue; nothing runs until start()."""
        # TODO (task 5): set up the Process part first, then keep numbers and results.
        raise NotImplementedError("not implemented yet: Squarer — see exercises/processes/README.md, task 5")

    def run(self):
        """What the child does once start() has created it."""
        # TODO (task 5): put (os.getpid(), n, n * n) on self.results for each number, in order.
        raise NotImplementedError("not implemented yet: Squarer.run — see exercises/processes/README.md, task 5")
