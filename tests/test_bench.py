"""``python -m bnnbook.bench``: its tables end to end, and its refusals of bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bnnbook import machine
from bnnbook.bench import cli, width_sweep
from bnnbook.deploy import forms
from bnnbook.models import binary_model, float_model
from conftest import ROOT


def test_command_line_prints_every_table_as_json(tmp_path, mnist_dir):
    """``python -m bnnbook.bench`` end to end, on untrained stand-ins saved as artifacts
    (the command loads whatever the chapters saved; training is not what is tested;
    MNIST calibrates the int8 model)."""
    from bnnbook.repro import SEED
    from bnnbook.artifacts import save
    from bnnbook.training import RECIPES

    artifacts = tmp_path / "artifacts"
    for name, build in (("float", float_model), ("binary", binary_model)):
        save(name, build(), {"loss": [0.0]}, RECIPES[name], SEED, artifacts)
    env = {
        **os.environ,
        "BNNBOOK_ARTIFACTS": str(artifacts),
        "BNNBOOK_MNIST_DIR": str(mnist_dir),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bnnbook.bench",
            "--json",
            "--threads",
            "1",
            "--batch",
            "8",
            "--widths",
            "1",
            "--rounds",
            "2",
            "--channels",
            "64",
            "--out",
            str(tmp_path / "deploy"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        f"artifacts: looking for float.h5 and binary.h5 in {artifacts}" in result.stderr
    )
    report = json.loads(result.stdout)
    assert report["cpu"] == machine.cpu_model()
    # one thread: every config of chapter 4, timed, and each one's memory measured
    names = [*forms.FORMS, forms.DENSE_IN_FLOAT]
    configs = forms.engine_configs({name: Path(name) for name in names}, (1,))
    labels = [config.label for config in configs]
    assert [e["label"] for e in report["engines"]] == labels
    assert [m["label"] for m in report["memory"]] == labels
    assert all(len(e["latency_rounds"]) == 2 for e in report["engines"])
    assert [row["channels"] for row in report["conv_sweep"]] == [64]
    assert [row["width"] for row in report["width_sweep"]] == [1]
    assert set(report["crossover_width"]["bnnbook"]) == set(
        width_sweep.RIVALS["bnnbook"]
    )
    assert report["ceiling"]["float_macs"] > 0 and report["ceiling"]["steps"]
    assert (
        report["sizes_bytes"]["binary_lce_conv"] < report["sizes_bytes"]["float_tflite"]
    )


def _bench(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bnnbook.bench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--threads", "0"],
            "argument --threads: 0 is not a positive whole number (use 1 or more)",
        ),
        (["--threads", "1", "two"], "argument --threads: 'two' is not a whole number"),
        (
            ["--batch", "-5"],
            "argument --batch: -5 is not a positive whole number (use 1 or more)",
        ),
        (["--rounds", "0"], "argument --rounds: 0 is not a positive whole number"),
        (
            ["--artifacts", "/no/such/folder"],
            "--artifacts /no/such/folder: no such folder",
        ),
    ],
)
def test_command_line_refuses_bad_input_before_any_work(args, message, tmp_path):
    env = {**os.environ, "BNNBOOK_ARTIFACTS": str(tmp_path / "artifacts")}
    result = _bench(*args, env=env)
    assert result.returncode == 2 and result.stdout == ""
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("python -m bnnbook.bench: error: ") and message in error
    assert not (tmp_path / "artifacts").exists(), "nothing is created or trained"


def test_command_line_finds_the_books_artifacts_from_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv("BNNBOOK_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    args = cli.parse_args(["--threads", "1"])
    assert args.artifacts == ROOT / "book" / "artifacts"
    assert args.out == ROOT / "book" / "artifacts" / "bench"


