"""Mistakes students make with processes; each must fail exercises/processes with a message naming it."""
from kata.mistakes import Mistake

DRAIN_THEN_JOIN = """    result = results.get()  # drain first: a child with a large unread result cannot end
    process.join()
    return result
"""

MISTAKES = (
    Mistake(
        name="args-not-a-tuple",
        edits=(("args=(item,), kwargs=options", "args=(item), kwargs=options"),),
        expect="args must be a tuple",
    ),
    Mistake(
        name="run-called-instead-of-start",
        edits=(("kwargs=options)\n    process.start()\n", "kwargs=options)\n    process.run()\n"),),
        expect="did you call run() instead of start()",
    ),
    Mistake(
        name="lambda-as-target",
        edits=(("ctx.Process(target=target, args=(item,), kwargs=options)",
                "ctx.Process(target=lambda: target(item, **options))"),),
        expect="a lambda or closure as target",
    ),
    Mistake(
        name="is-alive-not-called",
        edits=(('"alive": process.is_alive()', '"alive": process.is_alive'),),
        expect="call is_alive()",
    ),
    Mistake(
        name="exitcode-read-before-join",
        edits=(("""    process.start()
    process.join()
    return process.exitcode
""", """    process.start()
    code = process.exitcode
    process.join()
    return code
"""),),
        expect="join() before reading exitcode",
    ),
    Mistake(
        name="terminate-without-join",
        edits=(("    process.terminate()\n    process.join()\n", "    process.terminate()\n"),),
        expect="you called terminate() without join()",
    ),
    Mistake(
        name="join-before-draining-the-queue",
        edits=((DRAIN_THEN_JOIN, """    process.join()
    result = results.get()
    return result
"""),),
        expect="did you join() before getting the result",
    ),
    Mistake(
        name="result-left-in-a-global",
        edits=(
            ("    results.put(func(item))\n", "    global _RESULT\n    _RESULT = func(item)\n"),
            (DRAIN_THEN_JOIN, """    process.join()
    return globals().get("_RESULT")
"""),
        ),
        expect="processes share no memory",
    ),
    Mistake(
        name="closure-as-target",
        edits=(("    process = ctx.Process(target=_compute_and_send, args=(func, item, results))\n", """    def work():
        results.put(func(item))

    process = ctx.Process(target=work)
"""),),
        expect="a lambda or closure as target",
    ),
    Mistake(
        name="super-init-not-called",
        edits=(("        super().__init__()\n        self.numbers", "        self.numbers"),),
        expect="call super().__init__()",
    ),
    Mistake(
        name="run-misnamed",
        edits=(("    def run(self):\n", "    def work(self):\n"),),
        expect="name the method run",
    ),
    Mistake(
        name="reply-queue-at-module-level",
        edits=(
            ("import os\n", "import os\n\n_RESULTS = multiprocessing.Queue()\n"),
            ("def _compute_and_send(func, item, results):\n    # Runs in the child: its memory is its own, so the result must travel back.\n    results.put(func(item))\n",
             "def _compute_and_send(func, item):\n    _RESULTS.put(func(item))\n"),
            ("""    results = ctx.Queue()
    process = ctx.Process(target=_compute_and_send, args=(func, item, results))
""", """    results = _RESULTS
    process = ctx.Process(target=_compute_and_send, args=(func, item))
"""),
        ),
        expect="keeps _RESULTS (a Queue) at module level",
    ),
    Mistake(
        name="process-made-without-the-context",
        edits=(("    process = ctx.Process(target=target, args=(item,), kwargs=options)\n",
                "    process = multiprocessing.Process(target=target, args=(item,), kwargs=options)\n"),),
        expect="not multiprocessing.Process(...)",
    ),
)
