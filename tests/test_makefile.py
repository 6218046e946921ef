"""The Makefile's gate: a Python outside the pinned stack's versions stops make at once,
in one line that names the supported versions and how to choose one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-C", str(ROOT), "--no-print-directory", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unsupported_python_stops_make_in_one_line(tmp_path):
    stub = tmp_path / "python3.13"  # answers the version question as Python 3.13 does
    stub.write_text("#!/bin/sh\necho 3.13\n")
    stub.chmod(0o755)
    venv = tmp_path / "venv"
    result = make(f"PYTHON={stub}", f"VENV={venv}", "test")
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert f"{stub} is Python 3.13" in line
    assert "needs Python 3.11 or 3.12" in line and "make PYTHON=python3.12 test" in line
    assert not venv.exists()


def test_a_missing_python_is_named():
    result = make("PYTHON=/no/such/python", "VENV=/no/such/venv", "book")
    [line] = result.stderr.strip().splitlines()
    assert "/no/such/python is Python (not found)" in line


def test_a_supported_python_passes_the_gate(tmp_path):
    result = make("-n", f"PYTHON={sys.executable}", f"VENV={tmp_path / 'venv'}", "book")
    assert result.returncode == 0, result.stderr
    assert f"{sys.executable} -m venv" in result.stdout
