"""Daemons: children that end with the program, and may not have children.

Read exercises/daemons/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/daemons
(and --start-method spawn, forkserver or fork to try each way of starting a child).

Every function takes ``ctx``, a multiprocessing context: make processes with
ctx.Process and queues with ctx.Queue.
"""


def start_daemon(ctx, target, *args):
    """Start a daemon child of ctx that calls target(*args); return the started Process."""
    # TODO (task 1): a ctx.Process that is a daemon from the start, started, returned.
    raise NotImplementedError("not implemented yet: start_daemon — see exercises/daemons/README.md, task 1")


def start_helper_and_job(ctx, helper, helper_args, job, job_args):
    """Start helper(*helper_args) as a daemon and job(*job_args) as an ordinary child; return (helper, job).

    Both are started, neither is joined: when the main program's code ends, the
    helper is stopped, while the program waits for the job to finish.
    """
    # TODO (task 2): two started processes, only the helper a daemon; return them, unjoined.
    raise NotImplementedError(
        "not implemented yet: start_helper_and_job — see exercises/daemons/README.md, task 2")


def try_to_have_children(ctx, reply):
    """Try to start a child of our own; put ("refused", message) or ("started", pid) on reply.

    In a daemon, start() raises AssertionError: report its message. In an
    ordinary process the child starts: join it, then report its pid.
    The child can run any module-level function of this file that does nothing.
    """
    # TODO (task 3): try ctx.Process(...).start(); on AssertionError put ("refused", str(error)),
    # otherwise join the child and put ("started", child.pid).
    raise NotImplementedError(
        "not implemented yet: try_to_have_children — see exercises/daemons/README.md, task 3")


def ask_daemon_for_child(ctx):
    """Run try_to_have_children in a daemon child of ctx; return what it put on the queue."""
    # TODO (task 3): a ctx.Queue, a daemon running try_to_have_children(ctx, queue),
    # get() the answer, join the daemon, return the answer.
    raise NotImplementedError(
        "not implemented yet: ask_daemon_for_child — see exercises/daemons/README.md, task 3")
