"""Mistakes students make with process locks; each must fail exercises/process_locks with a message naming it."""
from kata.mistakes import Mistake

START_THEN_JOIN = """    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return [process.exitcode for process in processes]
"""

VISIT = """        with counter.get_lock():
            current = counter.value
            if between is not None:
                between()
            counter.value = current + 1
"""

MISTAKES = (
    Mistake(
        name="no-lock",
        edits=(("    with lock:\n        with open(path", "    if True:\n        with open(path"),),
        expect="did you forget the lock",
    ),
    Mistake(
        name="lock-created-in-each-child",
        edits=(("    with lock:\n        with open(path", "    with multiprocessing.Lock():\n        with open(path"),),
        expect="a lock created in each child",
    ),
    Mistake(
        # Under fork the children share the parent's module-level lock: the tests refuse it under every method.
        name="module-level-lock",
        edits=(
            ("import multiprocessing\n", "import multiprocessing\n\nSCREEN_LOCK = multiprocessing.Lock()\n"),
            ("    with lock:\n        with open(path", "    with SCREEN_LOCK:\n        with open(path"),
        ),
        expect="keeps SCREEN_LOCK (a Lock) at module level",
    ),
    Mistake(
        name="second-line-outside-the-lock",
        edits=(("""    with lock:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{name}: started\\n")
            out.flush()
            if between is not None:
                between()
            out.write(f"{name}: finished\\n")
            out.flush()
""", """    with open(path, "a", encoding="utf-8") as out:
        with lock:
            out.write(f"{name}: started\\n")
            out.flush()
        if between is not None:
            between()
        with lock:
            out.write(f"{name}: finished\\n")
            out.flush()
"""),),
        expect="hold the lock from before the first line until after the second",
    ),
    Mistake(
        name="file-opened-for-writing",
        edits=(('with open(path, "a", encoding="utf-8") as out:', 'with open(path, "w", encoding="utf-8") as out:'),),
        expect="open the file in append mode",
    ),
    Mistake(
        name="a-lock-per-process",
        edits=(("args=(path, name, lock, between)", "args=(path, name, make_lock(), between)"),),
        expect="one lock shared by every process",
    ),
    Mistake(
        name="join-inside-the-start-loop",
        edits=((START_THEN_JOIN, """    for process in processes:
        process.start()
        process.join()
    return [process.exitcode for process in processes]
"""),),
        expect="did you call join() inside the start loop",
    ),
    Mistake(
        name="value-incremented-without-get-lock",
        edits=((VISIT, """        current = counter.value
        if between is not None:
            between()
        counter.value = current + 1
"""),),
        expect="outside counter.get_lock()",
    ),
    Mistake(
        name="plus-equals-outside-the-lock",
        edits=((VISIT, """        if between is not None:
            between()
        counter.value += 1  # "a Value is synchronized, so this is safe"
"""),),
        expect="`counter.value += 1`",
    ),
    Mistake(
        name="value-lock-around-the-read-only",
        edits=((VISIT, """        with counter.get_lock():
            current = counter.value
        if between is not None:
            between()
        counter.value = current + 1
"""),),
        expect="hold `with counter.get_lock():` across the read",
    ),
    Mistake(
        name="plain-int-instead-of-the-value",
        edits=(("args=(counter, times, between)", "args=(mp_context.Value('i', counter.value), times, between)"),),
        expect="pass the Value itself to each child",
    ),
)
