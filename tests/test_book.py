"""The executed book, built from the chapters' nbval runs: rendered, never re-executed.

``make test`` runs this after every chapter (``chapter_cache`` orders the tests), so the
cache holds this run's execution of each chapter and the build only renders. Run alone,
after ``make book``, it renders that build's executions.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from jupyter_cache import get_cache

from bnnbook.printing import WIDTH
from chapter_cache import BUILD_LOG, cache_path, uncached
from conftest import ROOT


def _chapters() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [entry["file"] for part in toc["parts"] for entry in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").is_file()]


def test_every_chapter_was_executed_and_cached():
    missing = [p.name for p in uncached(ROOT, _chapters())]
    assert not missing, (
        f"no executed copy of {missing} in the book's cache: their nbval run failed or "
        "did not run (see above). Run `make test`, or `make book` to execute them."
    )


def _printed_lines(executed: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(code cell, line) of every line the reader sees as printed text: standard output,
    and plain-text results that have no richer form (standard error is not rendered:
    ``stderr_output: remove``; tracebacks wrap in the book's CSS)."""
    lines = []
    code = [c for c in executed.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                text = output.text
            elif output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                text = data.get("text/plain", "") if set(data) == {"text/plain"} else ""
            else:
                continue
            lines += [(number, line) for line in text.split("\n")]
    return lines


def test_every_printed_line_fits_the_column():
    """No line a chapter printed in this run is longer than ``bnnbook.printing.WIDTH``
    characters: the column holds about 88 in the widest monospace fonts."""
    cache = get_cache(cache_path(ROOT))
    chapters = [p for p in _chapters() if p not in uncached(ROOT, [p])]
    if not chapters:
        pytest.skip("no chapter is cached: run `make test` or `make book` first")
    long = []
    for path in chapters:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
        executed = cache.get_cache_bundle(record.pk).nb
        long += [f"{path.name}, code cell {cell}: {len(line)} characters: {line!r}"
                 for cell, line in _printed_lines(executed) if len(line) > WIDTH]
    assert not long, (
        f"printed lines over {WIDTH} characters (print through the chapter's "
        "wrap_printed_lines(), or shorten them):\n" + "\n".join(long)
    )


def test_book_builds_from_the_cache_without_warnings():
    """Every page rebuilt (``--all``), warnings as errors, and no chapter executed."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    chapters = _chapters()
    missing = uncached(ROOT, chapters)
    assert (
        not missing
    ), "a chapter is not cached: building would execute it (see the test above)"
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--all",
            "--warningiserror",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no colours
    (ROOT / BUILD_LOG).write_text(log)
    failed = result.returncode != 0
    assert not failed, log[-5000:]
    executed = re.findall(
        r"^.*(?:Executing notebook|Executed notebook).*$", log, flags=re.M
    )
    assert (
        executed == []
    ), f"the build executed chapters instead of using nbval's run: {executed}"
    used = re.findall(r"^.*Using cached notebook.*$", log, flags=re.M)
    assert len(used) == len(
        chapters
    ), f"expected {len(chapters)} cached chapters, log says {used}"
    assert (ROOT / "_build" / "html" / "book" / "01_data.html").is_file()
