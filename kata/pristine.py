"""The untouched stubs, kept in kata/pristine_stubs.zip so ``kata reset`` can restore them.

The zip is written by ``kata docs`` with fixed timestamps and sorted entries, so
it only changes when a stub does; a self-check fails when it is out of date.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from kata import registry, trees

ARCHIVE = Path(__file__).with_name("pristine_stubs.zip")
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def build(exercises: Path = trees.EXERCISES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for topic in sorted(registry.names()):
            entry = zipfile.ZipInfo(f"{topic}/{topic}.py", FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, trees.module_path(exercises, topic).read_bytes())
    return buffer.getvalue()


def stale() -> bool:
    return not ARCHIVE.is_file() or ARCHIVE.read_bytes() != build()


def write() -> None:
    ARCHIVE.write_bytes(build())


def stub(topic: str) -> bytes:
    with zipfile.ZipFile(ARCHIVE) as archive:
        return archive.read(f"{topic}/{topic}.py")
