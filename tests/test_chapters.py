"""The chapters as files: stored without outputs, framed alike, linked to the right
repository, and all in the table of contents."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
#: The sections every chapter has, in order (Project Pythia's frame, d2l's exercises).
FRAME = (
    "Overview",
    "Prerequisites",
    "Summary",
    "Exercises",
    "What's next",
    "Resources and references",
)
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]["url"].removeprefix("https://github.com/")
BRANCH = CONFIG["repository"]["branch"]


def _cells(path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _toc_chapters() -> list[str]:
    """The files of the table of contents' "Chapters" part, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    [part] = [p for p in toc.get("parts", []) if p.get("caption") == "Chapters"]
    return _toc_files(part["chapters"])


def test_every_chapter_in_the_table_of_contents_is_a_notebook_here():
    """The notebooks checked below are exactly the chapters the book lists: none
    missing (the parametrized tests would silently run on fewer), none extra."""
    chapters = _toc_chapters()
    missing = [f for f in chapters if not (ROOT / f"{f}.ipynb").is_file()]
    assert not missing, f"chapters in _toc.yml without a notebook: {missing}"
    assert [f"book/{p.stem}" for p in NOTEBOOKS] == chapters


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    dirty = [
        i
        for i, c in enumerate(_cells(path))
        if c.get("outputs") or c.get("execution_count")
    ]
    assert (
        not dirty
    ), f"{path.name}: cells {dirty} hold outputs; clear them before committing"


def test_every_tracked_notebook_is_checked():
    listed = subprocess.run(
        ["git", "ls-files", "*.ipynb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {ROOT / p for p in listed} <= set(NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_is_the_colab_badge_of_this_notebook(path):
    first = _source(_cells(path)[0])
    colab = "https://colab.research.google.com"
    link = f"{colab}/github/{REPOSITORY}/blob/{BRANCH}/book/{path.name}"
    assert first.startswith(
        f"[![Open In Colab]({colab}/assets/colab-badge.svg)]({link})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_guarded_colab_setup(path):
    code = next(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert 'if "google.colab" in sys.modules:' in code
    assert f'"bnnbook @ git+https://github.com/{REPOSITORY}@{BRANCH}"' in code
    assert "--no-deps" in code, "install_stack chooses the dependencies per runtime"


#: Code that runs Larq Compute Engine, directly or through the helper package.
#: (The deployed forms, the registry's "lce" key and the sweeps include LCE.)
USES_LCE = re.compile(
    r"larq_compute_engine|to_lce|lce_predict|\"lce\"|\bforms\.|write_forms"
    r"|\b(?:width|conv)_sweep\."
)


#: How a chapter asks whether this runtime has LCE, and says what it leaves out.
ASKS_FOR_LCE = 'HAS_LCE = ENGINES["lce"].available()'


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_says_whether_the_chapter_needs_lce(path):
    """A chapter that runs LCE stops at once on a Colab runtime without it, even one
    that asks the registry and leaves LCE's cells out without it: the Colab-like test
    does not run those chapters there yet. The others install Larq alone and run."""
    code = [_source(c) for c in _cells(path) if c["cell_type"] == "code"]
    asks = any(ASKS_FOR_LCE in cell for cell in code[1:])
    needs_lce = any(USES_LCE.search(cell) for cell in code[1:])
    assert f"install_stack(needs_lce={needs_lce}" in code[0]
    if asks:  # the one line that says what this runtime leaves out
        assert any('print(ENGINES["lce"].missing())' in cell for cell in code[1:])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_bnnbook_is_imported_before_tensorflow(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    first_bnnbook = code.find("import bnnbook")
    assert first_bnnbook != -1
    for other in ("import tensorflow", "import larq"):
        assert (
            code.find(other) == -1 or code.find(other) > first_bnnbook
        ), f"{other} before bnnbook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_is_framed_like_the_others(path):
    text = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    headings = re.findall(r"^##? (.+)$", text, flags=re.M)
    for expected in FRAME:
        assert expected in headings, f"{path.name} has no '{expected}' section"
    order = [h for h in headings if h in FRAME]
    assert order == list(
        FRAME
    ), f"{path.name}: sections in the order {order}, not {FRAME}"
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    # repro.report(seed) prints the seed, the versions and the CPU, one per line
    assert "set_seed()" in code and "print(report(SEED))" in code, (
        "print the seed, the versions and the CPU at the top: print(report(SEED))"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_send_the_reader_back_into_the_code(path):
    """Three to five numbered exercises, at least one asking for a prediction first."""
    text = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    section = text.split("## Exercises", 1)[1].split("\n## ", 1)[0]
    exercises = re.findall(r"^\d+\. ", section, flags=re.M)
    assert 3 <= len(exercises) <= 5, f"{path.name}: {len(exercises)} numbered exercises"
    assert re.search(
        r"\bpredict", section, flags=re.I
    ), f"{path.name}: no 'predict' exercise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_in_88_characters(path):
    long = [
        (i, line)
        for i, cell in enumerate(_cells(path))
        if cell["cell_type"] == "code"
        for line in _source(cell).splitlines()
        if len(line) > 88
    ]
    assert not long, f"{path.name}: code lines over 88 characters (cell, line): {long}"


def _toc_files(entries) -> list[str]:
    files = []
    for entry in entries:
        if "file" in entry:
            files.append(entry["file"])
        files += _toc_files(entry.get("sections", []) + entry.get("chapters", []))
    return files


def test_every_chapter_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = _toc_files(toc.get("chapters", []) + toc.get("parts", []))
    assert [f"book/{p.stem}" for p in NOTEBOOKS] == [
        f for f in listed if (ROOT / f"{f}.ipynb").exists()
    ]


def test_every_repository_address_matches_the_config():
    texts = [(ROOT / "README.md").read_text(), (ROOT / "book" / "intro.md").read_text()]
    texts += [p.read_text() for p in NOTEBOOKS]
    pattern = r"(?:github\.com|colab\.research\.google\.com/github)/([\w-]+/[\w-]+)"
    found = {m for text in texts for m in re.findall(pattern, text)}
    assert found <= {
        REPOSITORY
    }, f"addresses other than {REPOSITORY} (from _config.yml): {found - {REPOSITORY}}"
