"""Text from an untrusted side, made safe for every format the grader writes.

A student's code can print or raise anything: lone surrogates (which UTF-8
cannot encode), ESC sequences, NUL and other control characters (which XML 1.0
forbids). ``printable`` turns all of them into visible escapes, so JSON, XML
and Markdown writers never see them and a reader still sees what was there.
"""
from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; DEL and the C1 controls; the XML non-characters.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: object) -> str:
    """``text`` as a str that every writer can encode, with unsafe characters shown as ``\\xNN``."""
    text = text if isinstance(text, str) else str(text)
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)
