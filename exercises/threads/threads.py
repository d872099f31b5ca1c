"""Threads: run a function, or a Thread subclass, in a thread of its own.

Read exercises/threads/README.md first; each TODO names its task there.
Run the tests with:  pytest exercises/threads
"""
import threading
from typing import NamedTuple


def start_thread(work, label):
    """Start a thread named label that calls work(label); return it started, not joined.

    The tests hand in the work function, so that they can see which thread it
    runs in and what arguments it gets. Do not wait for it: the caller joins.
    """
    # TODO (task 1): make a threading.Thread that will call work(label), named label;
    # start it and return it.
    raise NotImplementedError("not implemented yet: start_thread — see exercises/threads/README.md, task 1")


class JobThread(threading.Thread):
    """A thread that calls work(label) when started, and keeps what it returns in self.result."""

    def __init__(self, work, label):
        """Remember the work and the label; the thread is named after the label."""
        # TODO (task 2): let threading.Thread set itself up first (named label),
        # then keep work and label, and set self.result to None.
        raise NotImplementedError("not implemented yet: JobThread() — see exercises/threads/README.md, task 2")

    def run(self):
        """What the new thread does once start() has made it."""
        # TODO (task 2): call the work with the label and keep what it returns in self.result.
        raise NotImplementedError("not implemented yet: JobThread.run — see exercises/threads/README.md, task 2")


class Badge(NamedTuple):
    """Who a thread is: its name, its identifier, and whether it is the main thread."""

    name: str
    ident: int
    is_main: bool


def who_am_i():
    """A Badge describing the thread that calls this function."""
    # TODO (task 3): ask threading which thread is running this line, and describe it.
    raise NotImplementedError("not implemented yet: who_am_i — see exercises/threads/README.md, task 3")


def change_in_thread(work, data):
    """Run work(data) in a new thread and wait for it to finish."""
    # TODO (task 4): a thread whose target is work, with data as its one argument; start it, join it.
    raise NotImplementedError("not implemented yet: change_in_thread — see exercises/threads/README.md, task 4")


def change_in_process(work, data, mp_context):
    """Run work(data) in a child process made with mp_context; wait for it; return its exit code.

    mp_context is a multiprocessing context (multiprocessing.get_context(...)):
    make the process with mp_context.Process, so that the tests can choose how
    the child is started (fork, forkserver or spawn).
    """
    # TODO (task 4): like change_in_thread, with mp_context.Process; return the child's exitcode.
    raise NotImplementedError("not implemented yet: change_in_process — see exercises/threads/README.md, task 4")
