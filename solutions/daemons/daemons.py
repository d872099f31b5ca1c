"""Daemons: children that end with the program, and may not have children.

Reference solution. Same public API as exercises/daemons/daemons.py.
"""


def start_daemon(ctx, target, *args):
    """Start a daemon child of ctx that calls target(*args); return the started Process."""
    process = ctx.Process(target=target, args=args, daemon=True)  # daemon before start()
    process.start()
    return process


def start_helper_and_job(ctx, helper, helper_args, job, job_args):
    """Start helper(*helper_args) as a daemon and job(*job_args) as an ordinary child; return (helper, job).

    Both are started, neither is joined: when the main program's code ends, the
    helper is stopped, while the program waits for the job to finish.
    """
    helper_process = start_daemon(ctx, helper, *helper_args)
    job_process = ctx.Process(target=job, args=job_args)
    job_process.start()
    return helper_process, job_process


def _nothing():
    pass


def try_to_have_children(ctx, reply):
    """Try to start a child of our own; put ("refused", message) or ("started", pid) on reply."""
    try:
        child = ctx.Process(target=_nothing)
        child.start()
    except AssertionError as exc:
        reply.put(("refused", str(exc)))
        return
    child.join()
    reply.put(("started", child.pid))


def ask_daemon_for_child(ctx):
    """Run try_to_have_children in a daemon child of ctx; return what it put on the queue."""
    reply = ctx.Queue()
    process = ctx.Process(target=try_to_have_children, args=(ctx, reply), daemon=True)
    process.start()
    answer = reply.get()
    process.join()
    return answer
