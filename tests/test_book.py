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

import yaml

from chapter_cache import BUILD_LOG, uncached
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
