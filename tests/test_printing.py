"""Printed lines wrapped to the column's width, whatever the numbers in them."""

from __future__ import annotations

import io
import sys

import pytest

from bnnbook import printing
from bnnbook.printing import WIDTH, WrappedStream, wrap, wrap_printed_lines


def test_long_lines_break_at_spaces_with_an_indented_continuation():
    line = "  the engine: " + " ".join(f"{i / 7:.4f}x" for i in range(30))
    wrapped = wrap(line).split("\n")
    assert len(wrapped) > 1
    assert all(len(part) <= WIDTH for part in wrapped)
    assert all(part.startswith("    ") for part in wrapped[1:])  # own indent + 2
    assert " ".join(p.strip() for p in wrapped) == line.strip()


def test_short_lines_and_aligned_columns_are_left_alone():
    table = "model        µs\nfloat        66\nint8         33"
    assert wrap(table) == table
    assert wrap("") == ""


def test_a_word_longer_than_the_width_is_cut():
    assert all(len(part) <= 20 for part in wrap("x" * 50, 20).split("\n"))


def test_too_narrow_a_width_is_refused():
    with pytest.raises(ValueError, match="at least 8 characters"):
        wrap("text", 4)


def test_the_stream_wraps_whole_lines_written_in_parts():
    out = io.StringIO()
    stream = WrappedStream(out, width=20)
    print("one two three four five six", "seven", file=stream, end="")
    assert out.getvalue() == ""  # held until the line is complete
    print(" eight", file=stream)
    assert out.getvalue().split("\n")[:-1] == [
        "one two three four", "  five six seven", "  eight"]
    stream.write("pending")
    stream.flush()
    assert out.getvalue().endswith("pending")


def test_wrapping_the_printed_lines_twice_wraps_once(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    wrap_printed_lines()
    wrap_printed_lines(40)
    assert isinstance(sys.stdout, WrappedStream) and sys.stdout.stream is out
    assert sys.stdout.width == 40
    print("a " * 30)
    sys.stdout.flush()
    assert max(len(line) for line in out.getvalue().split("\n")) <= 40


def test_the_width_leaves_a_margin_in_the_column():
    """688 px at 12 px, in a font 0.65 em wide: 88 characters; 80 leaves a margin."""
    assert printing.WIDTH * 0.65 * 12 < 688 - 40
