"""Printed lines that fit the book's column, by construction.

A chapter's printed output is shown in a ``pre`` box 688 px wide, at 12 px
(``_static/code-width.css``). Monospace fonts advance between 0.6 em (DejaVu Sans Mono,
Menlo, Consolas, Courier) and about 0.65 em, so the box holds 688 / (0.65 x 12) = 88
characters in the widest of them. Printed numbers change width from run to run and
machine to machine, so fitting by luck is not enough: :func:`wrap_printed_lines`
routes everything a notebook prints through :func:`wrap`, which breaks every line at
:data:`WIDTH` characters, a margin below 88. The tests check the executed chapters'
text against :data:`WIDTH`.
"""

from __future__ import annotations

import sys
import textwrap
from typing import TextIO

#: The longest line, in characters, a chapter prints (the column holds about 88).
WIDTH = 80


def wrap(text: str, width: int = WIDTH) -> str:
    """``text`` with every line longer than ``width`` characters broken at spaces (at
    any character where a word alone is too long); a broken line's continuations are
    indented two spaces past its own indent. Shorter lines are returned unchanged."""
    if width < 8:
        raise ValueError(f"width={width}: a printed line needs at least 8 characters")
    lines = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        indent = " " * min(len(line) - len(line.lstrip(" ")) + 2, width // 2)
        lines.extend(textwrap.wrap(
            line, width, subsequent_indent=indent, drop_whitespace=True,
            break_on_hyphens=False,
        ))
    return "\n".join(lines)


class WrappedStream:
    """A text stream that writes whole lines to ``stream``, each through :func:`wrap`.

    A line is held until its newline arrives (``print`` writes a line in parts), and
    :meth:`flush` writes a pending part as it is, so a prompt or a progress line
    still shows. Everything else (``fileno``, ``encoding``, ...) is ``stream``'s.
    """

    def __init__(self, stream: TextIO, width: int = WIDTH) -> None:
        self.stream = stream
        self.width = width
        self._pending = ""

    def write(self, text: str) -> int:
        """Write the complete lines in ``pending + text``; keep the rest. Returns
        ``len(text)``, as a text stream does."""
        head, newline, tail = (self._pending + text).rpartition("\n")
        if newline:
            self.stream.write(wrap(head, self.width) + "\n")
        self._pending = tail
        return len(text)

    def flush(self) -> None:
        """Write a pending partial line (wrapped) and flush ``stream``."""
        if self._pending:
            self.stream.write(wrap(self._pending, self.width))
            self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def wrap_printed_lines(width: int = WIDTH) -> None:
    """Route ``sys.stdout`` and ``sys.stderr`` through :class:`WrappedStream`, so that
    no printed line is longer than ``width`` characters. Calling it again (a chapter's
    set-up cell run twice) changes only the width."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, WrappedStream):
            stream.width = width
        else:
            setattr(sys, name, WrappedStream(stream, width))
