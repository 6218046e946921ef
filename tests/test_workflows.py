"""The GitHub Actions workflows a fork gets: linted by actionlint, and running the
README's own commands (``make test``, ``make book``) on a Python the Makefile
accepts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
#: actionlint from the book's venv (requirements.txt), else from PATH.
ACTIONLINT = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or (
    shutil.which("actionlint")
)


def actionlint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if ACTIONLINT is None:
        pytest.fail("actionlint is not installed: run `make test` (requirements.txt)")
    return subprocess.run(
        [ACTIONLINT, "-no-color", *args], capture_output=True, text=True, cwd=cwd
    )


def workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def make_commands(text: str) -> set[str]:
    """The ``make`` commands in ``text``, with any ``MNIST_DIR=`` value replaced by
    ``<dir>`` (the folder differs: ``../shared`` here, a cached download there)."""
    found = re.findall(r"^\s*(make [^#\n]*?)\s*(?:#.*)?$", text, re.M)
    return {re.sub(r"MNIST_DIR=\S+", "MNIST_DIR=<dir>", c) for c in found}


def runs(name: str) -> list[str]:
    steps = [s for job in workflow(name)["jobs"].values() for s in job.get("steps", [])]
    return [s["run"] for s in steps if "run" in s]


def test_actionlint_finds_nothing_in_the_workflows():
    linted = actionlint()
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "broken.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ matrix.python }}\n"
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    linted = actionlint(cwd=tmp_path)
    assert linted.returncode == 1 and "matrix" in linted.stdout, linted.stdout


def test_workflows_run_the_readmes_commands():
    readme = make_commands((ROOT / "README.md").read_text())
    assert {"make book", "make test MNIST_DIR=<dir>"} <= readme
    test_runs = {c for run in runs("test.yml") for c in make_commands(run)}
    book_runs = {c for run in runs("book.yml") for c in make_commands(run)}
    assert test_runs == {"make test MNIST_DIR=<dir>"}
    assert book_runs == {"make book MNIST_DIR=<dir>"}  # the Makefile's MNIST_DIR


def test_workflows_use_a_python_the_makefile_accepts():
    supported = re.search(r"^SUPPORTED_PYTHONS := (.+)$",
                          (ROOT / "Makefile").read_text(), re.M).group(1).split()
    for name in ("test.yml", "book.yml"):
        steps = [s for job in workflow(name)["jobs"].values()
                 for s in job.get("steps", [])]
        pythons = [s["with"]["python-version"] for s in steps
                   if s.get("uses", "").startswith("actions/setup-python")]
        assert pythons and set(pythons) <= set(supported), (name, pythons)


def test_book_workflow_publishes_the_built_html_to_pages():
    book = workflow("book.yml")
    assert book["permissions"] == {"contents": "read", "pages": "write",
                                   "id-token": "write"}
    steps = [s for job in book["jobs"].values() for s in job.get("steps", [])]
    upload = next(s for s in steps
                  if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in steps)
