"""Reading other threads' stacks leaves no frame behind for the cycle collector.

A reader that keeps ``sys._current_frames()`` in a local holds its own frame in
a cycle, and with it every thread's stack. On CPython 3.12.0 and 3.12.1,
collecting such a cycle once a multiprocessing feeder thread has ended crashes
the interpreter (gh-111049): a correct solution's run died of it under load.
"""
import gc
import multiprocessing
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

from kata.frames import frame_of, other_threads_frames

KATA = Path(__file__).resolve().parents[1] / "kata"


def frames_left_in_cycles(read) -> list[str]:
    """The frames that only the collector would free after ``read()`` kept what it read in a local."""
    def reader():
        frames = read()
        return len(frames)

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        reader()
        gc.collect()
        return [obj.f_code.co_name for obj in gc.garbage if isinstance(obj, types.FrameType)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_the_plain_reader_would_leave_its_own_frame_in_a_cycle():
    assert "reader" in frames_left_in_cycles(sys._current_frames), (
        "the check below cannot fail: sys._current_frames() kept in a local no longer leaves a cycle")


def test_other_threads_frames_leaves_no_frame_in_a_cycle():
    ready, done = threading.Event(), threading.Event()
    other = threading.Thread(target=lambda: (ready.set(), done.wait()), name="other")
    other.start()
    try:
        ready.wait()
        assert frames_left_in_cycles(other_threads_frames) == [], (
            "other_threads_frames() left frames for the cycle collector")
        assert other.ident in other_threads_frames(), "other_threads_frames() lost another thread's frame"
        assert frame_of(other.ident) is not None, "frame_of() lost another thread's frame"
    finally:
        done.set()
        other.join()
    assert threading.get_ident() not in other_threads_frames(), "other_threads_frames() holds the caller's frame"


def test_a_feeder_thread_read_while_it_runs_ends_without_crashing_the_interpreter():
    # The crash itself, in a child: a queue's feeder thread is read, then ends, then the collector runs.
    script = textwrap.dedent("""
        import gc, multiprocessing
        from kata.frames import other_threads_frames

        def look():
            frames = other_threads_frames()
            return len(frames)

        for round in range(20):
            queue = multiprocessing.get_context("spawn").Queue()
            queue.put(("a message", round))
            queue.get()
            look()
            queue.close()
            queue.join_thread()
            gc.collect()
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", (
        f"reading a feeder thread's frame crashed the interpreter (exit {done.returncode}):\n{done.stderr[-2000:]}")
    assert multiprocessing.active_children() == [], "the check left a process behind"


def test_only_kata_frames_reads_the_threads_stacks():
    readers = sorted(str(path.relative_to(KATA.parent)) for root in (KATA, KATA.parent / "exercises")
                     for path in root.rglob("*.py")
                     if "_current_frames" in path.read_text() and path.name != "frames.py")
    assert readers == [], (
        f"{readers} call sys._current_frames() themselves: use kata.frames, which never keeps the caller's "
        "frame in a cycle")
