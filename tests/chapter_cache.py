"""Each chapter is executed once per test run: by nbval, whose run is then kept.

A pytest plugin (registered by ``conftest.py``). After nbval has executed every cell of
a chapter without a failure, the notebook, with the outputs nbval collected, goes into
the book's jupyter-cache through jupyter-cache's own API, as myst-nb would store its own
execution (the notebook's hash, and ``execution_seconds`` for the execution-statistics
page). ``jupyter-book build`` (``execute_notebooks: cache``) then finds every chapter
cached and only renders it: ``tests/test_book.py`` builds the book so and checks that
the build executed nothing.

The plugin also runs the book's tests in that order (unit tests, chapters, the build,
the browser) and ends the run with each chapter's execution time against its budget.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

#: Each chapter's execution budget on the book's 2-core CI machine (DEVELOPERS.md), in
#: seconds. The summary reports against it; no test fails on time.
BUDGETS = {"01": 30, "02": 180, "03": 300, "04": 300, "05": 300, "06": 720, "07": 480}

#: Test files that need the chapters executed first (the build), or the built book.
LAST = ("test_book.py", "test_browser.py")

#: The build log that ``tests/test_book.py`` writes, summarised at the end of the run.
BUILD_LOG = Path("_build") / "build.log"


def cache_path(root: Path) -> Path:
    """The jupyter-cache folder that ``jupyter-book build`` uses for the book at
    ``root``: ``execute: cache:`` in ``_config.yml``, else ``_build/.jupyter_cache``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    configured = (config.get("execute") or {}).get("cache")
    return root / configured if configured else root / "_build" / ".jupyter_cache"


def uncached(root: Path, notebooks: list[Path]) -> list[Path]:
    """The ``notebooks`` that the book's cache holds no executed copy of, as they are
    now on disk (a changed code cell changes the notebook's hash)."""
    cache = get_cache(cache_path(root))
    missing = []
    for path in notebooks:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            missing.append(path)
    return missing


def _is_cell(item: pytest.Item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@dataclasses.dataclass
class _Run:
    """One chapter under nbval: wall seconds so far, code cells seen, any failure."""

    notebook: nbformat.NotebookNode
    seconds: float = 0.0
    cells: int = 0
    failed: bool = False
    cached: bool = False


class ChapterCache:
    """The plugin: see the module's docstring."""

    def __init__(self, root: Path):
        self.root = root
        self.runs: dict[Path, _Run] = {}
        self.started = time.time()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        def rank(item: pytest.Item) -> int:
            if item.path.name in LAST:
                return 2 + LAST.index(item.path.name)
            return 1 if _is_cell(item) else 0

        items.sort(key=rank)  # stable: each group keeps its own order

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        if not _is_cell(item):
            return
        report = outcome.get_result()
        run = self.runs.setdefault(item.path, _Run(item.parent.nb))
        run.seconds += report.duration
        run.failed |= report.failed or report.skipped
        if report.when == "call" and not run.failed:
            run.cells += 1
            item.cell.execution_count = run.cells
            item.cell.outputs = list(getattr(item, "test_outputs", []))
            for output in item.cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = run.cells

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        yield
        if _is_cell(item) and (nextitem is None or nextitem.path != item.path):
            self._store(item.path)

    def _store(self, path: Path) -> None:
        """Put chapter ``path`` into the cache if nbval ran every code cell cleanly."""
        run = self.runs[path]
        code_cells = sum(cell.cell_type == "code" for cell in run.notebook.cells)
        if run.failed or run.cells != code_cells:
            return
        cache = get_cache(cache_path(self.root))
        bundle = CacheBundleIn(
            run.notebook,
            str(path),
            data={"execution_seconds": run.seconds, "executed_by": "nbval"},
        )
        cache.cache_notebook_bundle(bundle, check_validity=True, overwrite=True)
        run.cached = True

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.runs:
            return
        write = terminalreporter.write_line
        terminalreporter.section("chapters: execution time (nbval) against budget")
        for path, run in sorted(self.runs.items()):
            budget = BUDGETS.get(path.name[:2])
            verdict = (
                ""
                if budget is None
                else (
                    f" / budget {budget} s"
                    + ("  OVER BUDGET" if run.seconds > budget else "")
                )
            )
            state = "cached for the book" if run.cached else "FAILED: not cached"
            write(f"{path.name:32} {run.seconds:6.0f} s{verdict}  ({state})")
        total = sum(run.seconds for run in self.runs.values())
        write(f"{'all chapters':32} {total:6.0f} s = {total / 60:.1f} min")
        log = self.root / BUILD_LOG
        if log.is_file() and log.stat().st_mtime > self.started:
            lines = log.read_text().splitlines()
            used = [line for line in lines if "Using cached notebook" in line]
            executed = [
                line
                for line in lines
                if re.search(r"Executing notebook|Executed notebook", line)
            ]
            write(
                f"book build: {len(used)} chapters rendered from the cache, "
                f"{len(executed)} executed ({log.relative_to(self.root)})"
            )
