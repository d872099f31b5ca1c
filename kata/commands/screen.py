"""Plain text for a terminal: wrapped to its width, never read as rich markup."""
from __future__ import annotations

import textwrap

from rich.console import Console

WIDTH = 80  # when the terminal says nothing, and the most a line is ever given


def console() -> Console:
    """A console no wider than WIDTH, whatever the terminal (long lines are read poorly)."""
    width = Console().width
    return Console(width=min(width, WIDTH))


def wrap(text: str, width: int = WIDTH) -> str:
    """Each line of text wrapped to width, its continuation lines indented under its first word."""
    out = []
    for line in text.splitlines() or [""]:
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        out.append(textwrap.fill(body, width, initial_indent=indent, subsequent_indent=indent + "  ",
                                 break_on_hyphens=False) if body else "")
    return "\n".join(out)


def show(console: Console, text: str, style: str | None = None) -> None:
    """Print text as it is: brackets stay brackets (rich would take ``[p.exitcode ...]`` for markup)."""
    console.print(wrap(text, console.width), markup=False, highlight=False, style=style)
