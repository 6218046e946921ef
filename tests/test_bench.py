"""The benchmark machinery on the book's (untrained) models and a tiny convolution."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from bnnbook import bench, sweeps
from bnnbook.models import binary_model, float_model
from conftest import ROOT


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    return bench.write_models(
        float_model(), binary_model(), images, tmp_path_factory.mktemp("deploy")
    )


def test_write_models_writes_every_form(paths):
    assert set(paths) == {
        "float_keras",
        "binary_keras",
        "float_tflite",
        "int8_tflite",
        "binary_lce",
        "binary_lce_conv",
    }
    assert all(path.stat().st_size > 0 for path in paths.values())
    assert (
        paths["binary_lce_conv"].stat().st_size
        < paths["float_tflite"].stat().st_size / 10
    )


@pytest.mark.parametrize(
    "key, runtime, options",
    [
        ("binary_keras", "keras", {}),
        ("float_tflite", "tflite", {}),
        ("binary_lce_conv", "lce", {"indirect_bgemm": True, "xnnpack": True}),
    ],
)
def test_measure_fresh_reports_timings_and_memory(paths, key, runtime, options):
    config = bench.Config(
        f"test {runtime}", runtime, str(paths[key]), threads=1, **options
    )
    result = bench.measure_fresh(config, batch=8)
    assert result["label"] == config.label and result["threads"] == 1
    for name in ("latency", "batch_time"):
        t = result[name]
        assert 0 < t["p10"] <= t["median"] <= t["p90"]
    assert result["images_per_second"] == pytest.approx(
        8 / result["batch_time"]["median"]
    )
    assert result["peak_rss_bytes"] >= result["rss_before_bytes"] > 0
    assert f"| {config.label} | 1 |" in bench.speed_table([result])


def test_measure_fresh_reports_a_failing_engine_clearly(tmp_path):
    config = bench.Config("broken", "lce", str(tmp_path / "missing.tflite"), threads=1)
    with pytest.raises(RuntimeError, match="benchmark of 'broken' failed"):
        bench.measure_fresh(config, batch=2)


def test_engine_configs_cover_every_engine_per_thread_count(paths):
    configs = bench.engine_configs(paths, threads=(1, 2))
    assert len(configs) == 16 and {c.threads for c in configs} == {1, 2}
    assert {c.runtime for c in configs} == {"keras", "tflite", "lce"}


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
    assert "logical cores" in report["cpu"]
    assert len(report["engines"]) == 8 and len(report["conv_sweep"]) == len(
        sweeps.SWEEP
    )
    assert [row["width"] for row in report["width_sweep"]] == [1]
    assert set(report["crossover_width"]) == {"float", "int8"}
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
    args = bench.parse_args(["--threads", "1"])
    assert args.artifacts == ROOT / "book" / "artifacts"
    assert args.out == ROOT / "book" / "artifacts" / "bench"


def test_measure_fresh_runs_an_onnx_model_exported_from_pytorch(tmp_path):
    """Chapter 7's engine: channels-first ONNX with a dynamic batch, fed NHWC images."""
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 26 * 26, 10),
        torch.nn.Softmax(-1),
    )
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(
        net,
        (torch.zeros(2, 1, 28, 28),),
        str(path),
        input_names=["x"],
        dynamic_axes={"x": {0: "batch"}},
        dynamo=False,
    )
    result = bench.measure_fresh(
        bench.Config("onnx", "onnx", str(path), threads=1), batch=8
    )
    assert 0 < result["latency"]["median"] and result["images_per_second"] > 0

    from bnnbook.runtimes import onnx_predict

    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    expected = net(torch.from_numpy(images.transpose(0, 3, 1, 2))).detach().numpy()
    np.testing.assert_allclose(
        onnx_predict(path.read_bytes(), 1)(images), expected, atol=1e-5
    )
