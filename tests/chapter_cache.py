"""Each chapter is executed once per test run: by nbval, whose run is then kept.

A pytest plugin (registered by ``conftest.py``). After nbval has executed every cell of
a chapter without a failure, the notebook, with the outputs nbval collected, goes into
the book's jupyter-cache through jupyter-cache's own API, as myst-nb would store its own
execution (the notebook's hash, and ``execution_seconds`` for the execution-statistics
page). ``jupyter-book build`` (``execute_notebooks: cache``) then finds every chapter
cached and only renders it: ``tests/test_book.py`` builds the book so and checks that
the build executed nothing.

The plugin also runs the book's tests in that order (unit tests, chapters, the
Colab-like test, the build, the browser). Before the first chapter it measures this
machine's training rate in a fresh process (``python -m bnnbook.bench.probe``), and it
ends the run with each chapter's execution time here, scaled to the reference machine
the budgets are stated for, and against its budget. That is a report, not a test:
nothing fails on time.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from bnnbook.bench.probe import REFERENCE_RATE, Rate, describe

#: Each chapter's execution budget on the reference machine (DEVELOPERS.md: the slowest
#: CI machine seen), in seconds. The summary reports against it; no test fails on time.
BUDGETS = {
    "01": 30, "02": 180, "03": 300, "04": 300, "05": 300, "06": 720, "07": 480,
    "08": 300, "09": 720,
}

#: Test files that need the chapters executed first (their models, the build), or the
#: built book.
LAST = ("test_colab.py", "test_book.py", "test_browser.py")

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


def budget_report(
    seconds: dict[str, float],
    rate: Rate | None,
    notes: dict[str, str] | None = None,
    probe_error: str = "",
) -> list[str]:
    """Lines of the end-of-run report: each chapter's ``seconds`` here, scaled to the
    reference machine by ``rate`` (unscaled if the probe failed), and its budget;
    ``OVER BUDGET`` where the scaled time exceeds it. ``notes`` adds a word per chapter.
    """
    notes = notes or {}
    if rate is not None:
        lines = [
            f"machine probe: {describe(rate)}",
            f"scaled = seconds here x {rate.speed:.2f}: the time on the reference "
            f"machine ({REFERENCE_RATE:,.0f} images/s), for which budgets are set",
        ]
        scale = rate.scaled
    else:
        lines = [f"machine probe failed ({probe_error}): times are not scaled"]
        scale = float
    lines.append(f"{'chapter':32} {'here':>7} {'scaled':>7} {'budget':>7}")
    for name, here in seconds.items():
        budget = BUDGETS.get(name[:2])
        scaled = scale(here)
        over = "  OVER BUDGET" if budget is not None and scaled > budget else ""
        note = f"  ({notes[name]})" if name in notes else ""
        shown = f"{budget:6d}s" if budget is not None else f"{'-':>7}"
        lines.append(f"{name:32} {here:6.0f}s {scaled:6.0f}s {shown}{over}{note}")
    total = sum(seconds.values())
    lines.append(
        f"{'all chapters':32} {total:6.0f}s {scale(total):6.0f}s"
        f"  = {total / 60:.1f} min here, {scale(total) / 60:.1f} min scaled"
    )
    return lines


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
        self.rate: Rate | None = None
        self.probe_error = ""

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
        if _is_cell(item) and not self.runs and self.rate is None:
            self._probe(item.config)
        yield
        if _is_cell(item) and (nextitem is None or nextitem.path != item.path):
            self._store(item.path)

    def _probe(self, config: pytest.Config) -> None:
        """Measure this machine's training rate in a fresh process and print it."""
        command = [sys.executable, "-m", "bnnbook.bench.probe", "--json"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if result.returncode == 0:
            self.rate = Rate(**{
                k: v for k, v in json.loads(result.stdout).items() if k != "speed"
            })
            line = f"machine probe: {describe(self.rate)}"
        else:
            self.probe_error = (result.stderr.strip().splitlines() or ["no output"])[-1]
            line = f"machine probe FAILED, times will not be scaled: {self.probe_error}"
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)

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
        times = {path.name: run.seconds for path, run in sorted(self.runs.items())}
        states = {
            path.name: "cached for the book" if run.cached else "FAILED: not cached"
            for path, run in self.runs.items()
        }
        for line in budget_report(times, self.rate, states, self.probe_error):
            write(line)
        scale = self.rate.scaled if self.rate is not None else (lambda s: s)
        session = time.time() - self.started
        write(
            f"{'pytest session':32} {session:6.0f}s {scale(session):6.0f}s"
            f"  = {session / 60:.1f} min here, {scale(session) / 60:.1f} min scaled"
        )
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
