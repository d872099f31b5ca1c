"""Mistakes students make starting threads; each must fail tests/exercises/threads with a message naming it."""
from kata.mistakes import Mistake

MISTAKES = (
    Mistake(
        name="args-not-a-tuple",
        edits=(("args=(label,), name=label)", "args=(label), name=label)"),),
        expect="args=(label) is not a tuple",
    ),
    Mistake(
        name="target-called-in-the-caller",
        edits=(("threading.Thread(target=work, args=(label,), name=label)",
                "threading.Thread(target=work(label), name=label)"),),
        expect="target=work(label) calls work right there",
    ),
    Mistake(
        name="start-thread-joins-before-returning",
        edits=(("    thread.start()\n    return thread\n", "    thread.start()\n    thread.join()\n    return thread\n"),),
        expect="did you call join() before returning",
    ),
    Mistake(
        name="super-init-forgotten",
        edits=(("        super().__init__(name=label)\n", ""),),
        expect="must call super().__init__() first",
    ),
    Mistake(
        name="start-overridden-instead-of-run",
        edits=(("    def run(self):\n", "    def start(self):\n"),),
        expect="override run(), not start()",
    ),
    Mistake(
        name="main-thread-instead-of-current-thread",
        edits=(("    me = threading.current_thread()\n", "    me = threading.main_thread()\n"),),
        expect="threading.main_thread() names the main thread",
    ),
    Mistake(
        name="process-target-called-in-the-parent",
        edits=(("mp_context.Process(target=work, args=(data,))", "mp_context.Process(target=work(data))"),),
        expect="the work ran in the parent",
    ),
    Mistake(
        name="a-thread-where-a-process-was-asked",
        edits=(("""    process = mp_context.Process(target=work, args=(data,))
    process.start()
    process.join()
    return process.exitcode
""", """    thread = threading.Thread(target=work, args=(data,))
    thread.start()
    thread.join()
    return 0
"""),),
        expect="that is a thread, not a child process",
    ),
    Mistake(
        name="main-thread-known-by-its-name",
        edits=(("me is threading.main_thread()", 'me.name == "MainThread"'),),
        expect="cannot tell it is the main thread by its name",
    ),
    Mistake(
        name="main-thread-known-by-the-main-threads-name",
        edits=(("me is threading.main_thread()", "me.name == threading.main_thread().name"),),
        expect="cannot tell it is the main thread by its name",
    ),
    Mistake(
        name="change-in-thread-never-joins",
        edits=(("""    thread = threading.Thread(target=work, args=(data,))
    thread.start()
    thread.join()
""", """    thread = threading.Thread(target=work, args=(data,))
    thread.start()
"""),),
        expect="call thread.join() after thread.start(), before returning",
    ),
    Mistake(
        name="change-in-thread-join-timeout-taken-as-finished",
        edits=(("""    thread = threading.Thread(target=work, args=(data,))
    thread.start()
    thread.join()
""", """    thread = threading.Thread(target=work, args=(data,))
    thread.start()
    thread.join(timeout=0.5)
"""),),
        expect="a join() that times out does not mean the thread has finished",
    ),
    Mistake(
        name="change-in-process-never-joins",
        edits=(("""    process.start()
    process.join()
    return process.exitcode
""", """    process.start()
    return process.exitcode
"""),),
        expect="join() the child before returning",
    ),
)
