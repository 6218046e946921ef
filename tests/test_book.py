"""The book builds with warnings as errors (here without executing: nbval executes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT


def test_book_builds_without_warnings(tmp_path: Path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    fast = tmp_path / "_config.yml"
    fast.write_text(yaml.safe_dump(config))
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(fast),
         "--path-output", str(tmp_path), "--warningiserror"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert (tmp_path / "_build" / "html" / "book" / "01_data.html").is_file()
