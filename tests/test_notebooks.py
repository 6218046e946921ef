"""The chapters as files: stored without outputs, all in the table of contents."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def _tracked_notebooks() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return listed.stdout.split()


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs; clear them before committing"


def test_every_tracked_notebook_is_checked():
    tracked = {ROOT / p for p in _tracked_notebooks()}
    assert tracked <= set(NOTEBOOKS), f"notebooks outside book/: {tracked - set(NOTEBOOKS)}"


def _toc_files(entries) -> list[str]:
    files = []
    for entry in entries:
        if "file" in entry:
            files.append(entry["file"])
        files += _toc_files(entry.get("sections", []) + entry.get("chapters", []))
        for part in entry.get("parts", []):
            files += _toc_files(part.get("chapters", []))
    return files


def test_every_chapter_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = set(_toc_files(toc.get("chapters", []) + toc.get("parts", [])))
    assert {f"book/{p.stem}" for p in NOTEBOOKS} <= listed
