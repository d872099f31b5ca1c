"""Mistakes students make with daemon processes; each must fail exercises/daemons with a message naming it."""
from kata.mistakes import Mistake

MISTAKES = (
    Mistake(
        name="daemon-set-after-start",
        edits=(("""    process = ctx.Process(target=target, args=args, daemon=True)  # daemon before start()
    process.start()
""", """    process = ctx.Process(target=target, args=args)
    process.start()
    process.daemon = True
"""),),
        expect="set daemon=True before start()",
    ),
    Mistake(
        name="helper-not-a-daemon",
        edits=(("    helper_process = start_daemon(ctx, helper, *helper_args)\n", """    helper_process = ctx.Process(target=helper, args=helper_args)
    helper_process.start()
"""),),
        expect="start the helper with daemon=True",
    ),
    Mistake(
        name="job-also-a-daemon",
        edits=(("    job_process = ctx.Process(target=job, args=job_args)\n",
                "    job_process = ctx.Process(target=job, args=job_args, daemon=True)\n"),),
        expect="only the helper should be a daemon",
    ),
    Mistake(
        name="asker-not-a-daemon",
        edits=(("args=(ctx, reply), daemon=True)", "args=(ctx, reply))"),),
        expect="it was not a daemon",
    ),
    Mistake(
        name="assertion-not-caught-in-the-daemon",
        edits=(("""    try:
        child = ctx.Process(target=_nothing)
        child.start()
    except AssertionError as exc:
        reply.put(("refused", str(exc)))
        return
""", """    child = ctx.Process(target=_nothing)
    child.start()
"""),),
        expect="catch the AssertionError that start() raises",
    ),
    Mistake(
        name="reply-queue-at-module-level",
        edits=(
            ("def _nothing():\n", "import multiprocessing\n\n_REPLIES = multiprocessing.Queue()\n\n\ndef _nothing():\n"),
            ("""    reply = ctx.Queue()
    process = ctx.Process(target=try_to_have_children, args=(ctx, reply), daemon=True)
""", """    reply = _REPLIES
    process = ctx.Process(target=_ask_with_the_module_queue, args=(ctx,), daemon=True)
"""),
            ("def ask_daemon_for_child(ctx):\n", """def _ask_with_the_module_queue(ctx):
    try_to_have_children(ctx, _REPLIES)


def ask_daemon_for_child(ctx):
"""),
        ),
        expect="keeps _REPLIES (a Queue) at module level",
    ),
    Mistake(
        name="daemon-never-joined",
        edits=(("    answer = reply.get()\n    process.join()\n", "    answer = reply.get()\n"),),
        expect="was never joined",
    ),
    Mistake(
        name="daemon-made-without-the-context",
        edits=(("    process = ctx.Process(target=target, args=args, daemon=True)  # daemon before start()\n",
                "    import multiprocessing\n\n"
                "    process = multiprocessing.Process(target=target, args=args, daemon=True)\n"),),
        expect="not multiprocessing.Process(...)",
    ),
    Mistake(
        name="daemon-args-wrapped-in-a-tuple",
        edits=(("ctx.Process(target=target, args=args, daemon=True)", "ctx.Process(target=target, args=(args,), daemon=True)"),),
        expect="and args=args to ctx.Process",
    ),
    Mistake(
        name="job-joined-before-returning",
        edits=(("    job_process.start()\n    return helper_process, job_process\n",
                "    job_process.start()\n    job_process.join()\n    return helper_process, job_process\n"),),
        expect="return without waiting for them",
    ),
)
