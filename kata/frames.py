"""The other threads' stacks, read without keeping anyone's frames alive.

``sys._current_frames()`` includes the caller's own frame. A function that
keeps that dict in a local makes a cycle when it returns (its frame holds the
dict, the dict holds its frame), and every thread's stack in the dict then
waits for the cycle collector. CPython 3.12.0 and 3.12.1 crash collecting such
a cycle once it holds the frame of a multiprocessing queue's feeder thread that
has ended, because the feeder's last pickled message is a memoryview of a
BytesIO (CPython gh-111049). So the kata reads only the other threads' frames.
"""
from __future__ import annotations

import sys
import threading
from types import FrameType


def other_threads_frames() -> dict[int, FrameType]:
    """The innermost frame of every thread but the calling one, by ``threading`` ident."""
    frames = sys._current_frames()
    frames.pop(threading.get_ident(), None)
    return frames


def frame_of(ident: int | None) -> FrameType | None:
    """The innermost frame of another thread, or None (also for the calling thread, which can use sys._getframe)."""
    return other_threads_frames().get(ident) if ident is not None else None
