"""Threads: run a function, or a Thread subclass, in a thread of its own.

Reference solution. Same public API as exercises/threads/threads.py.
"""
import threading
from typing import NamedTuple


def start_thread(work, label):
    """Start a thread named label that calls work(label); return it started, not joined."""
    thread = threading.Thread(target=work, args=(label,), name=label)
    thread.start()
    return thread


class JobThread(threading.Thread):
    """A thread that calls work(label) when started, and keeps what it returns in self.result."""

    def __init__(self, work, label):
        """Remember the work and the label; the thread is named after the label."""
        super().__init__(name=label)
        self.work = work
        self.label = label
        self.result = None

    def run(self):
        """What the new thread does once start() has made it."""
        self.result = self.work(self.label)


class Badge(NamedTuple):
    """Who a thread is: its name, its identifier, and whether it is the main thread."""

    name: str
    ident: int
    is_main: bool


def who_am_i():
    """A Badge describing the thread that calls this function."""
    me = threading.current_thread()
    return Badge(me.name, me.ident, me is threading.main_thread())


def change_in_thread(work, data):
    """Run work(data) in a new thread and wait for it to finish."""
    thread = threading.Thread(target=work, args=(data,))
    thread.start()
    thread.join()


def change_in_process(work, data, mp_context):
    """Run work(data) in a child process made with mp_context; wait for it; return its exit code."""
    process = mp_context.Process(target=work, args=(data,))
    process.start()
    process.join()
    return process.exitcode
