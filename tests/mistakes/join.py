"""Mistakes students make waiting with join(); each must fail tests/exercises/join with a message naming it."""
from kata.mistakes import Mistake

MISTAKES = (
    Mistake(
        name="join-inside-the-start-loop",
        edits=(("""    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
""", """    for thread in threads:
        thread.start()
        thread.join()
"""),),
        expect="threads ran one after another",
    ),
    Mistake(
        name="processes-joined-inside-the-start-loop",
        edits=(("""    for process in processes.values():
        process.start()
    for process in processes.values():
        process.join()
""", """    for process in processes.values():
        process.start()
        process.join()
"""),),
        expect="processes ran one after another",
    ),
    Mistake(
        name="process-target-is-a-lambda",
        edits=(("mp_context.Process(target=work, args=(label, *common_args), name=label)",
                "mp_context.Process(target=lambda label=label: work(label, *common_args), name=label)"),),
        expect="must be a module-level function",
    ),
    Mistake(
        name="join-without-timeout",
        edits=(("    worker.join(timeout)\n", "    worker.join()\n"),),
        expect="join() without a timeout",
    ),
    Mistake(
        name="is-alive-asked-before-join",
        edits=(("""    worker.join(timeout)
    return not worker.is_alive()
""", """    alive = worker.is_alive()
    worker.join(timeout)
    return not alive
"""),),
        expect="it asked is_alive() before join()",
    ),
    Mistake(
        name="join-result-taken-as-the-answer",
        edits=(("""    worker.join(timeout)
    return not worker.is_alive()
""", """    return worker.join(timeout)
"""),),
        expect="join() always returns None",
    ),
    Mistake(
        name="is-alive-answer-inverted",
        edits=(("    return not worker.is_alive()\n", "    return worker.is_alive()\n"),),
        expect="True means it has finished",
    ),
    Mistake(
        name="only-the-last-thread-joined",
        edits=(("""    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
""", """    for thread in threads:
        thread.start()
    thread.join()
"""),),
        expect="not just the last one",
    ),
    Mistake(
        name="only-the-last-process-joined",
        edits=(("""    for process in processes.values():
        process.start()
    for process in processes.values():
        process.join()
""", """    for process in processes.values():
        process.start()
    process.join()
"""),),
        expect="not just the last one",
    ),
    Mistake(
        name="processes-made-without-the-context",
        edits=(("""    processes = {label: mp_context.Process(target=work, args=(label, *common_args), name=label)
""", """    import multiprocessing

    processes = {label: multiprocessing.Process(target=work, args=(label, *common_args), name=label)
"""),),
        expect="not multiprocessing.Process(...)",
    ),
)
