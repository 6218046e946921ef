"""Engines and one measurement of one of them, on the book's (untrained) models."""

from __future__ import annotations

import numpy as np
import pytest

from bnnbook import deployment, engines, reports
from bnnbook.models import binary_model, float_model


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    return deployment.write_models(
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
        "binary_bnnbook",
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
        ("binary_bnnbook", "bnnbook", {}),
    ],
)
def test_measure_fresh_reports_timings_and_memory(paths, key, runtime, options):
    config = engines.Config(
        f"test {runtime}", runtime, str(paths[key]), threads=1, **options
    )
    result = engines.measure_fresh(config, batch=8)
    assert result["label"] == config.label and result["threads"] == 1
    for name in ("latency", "batch_time"):
        t = result[name]
        assert 0 < t["p10"] <= t["median"] <= t["p90"]
    assert result["images_per_second"] == pytest.approx(
        8 / result["batch_time"]["median"]
    )
    assert result["peak_rss_bytes"] >= result["rss_before_bytes"] > 0
    assert f"| {config.label} |" in reports.memory_table([result])


def test_measure_fresh_without_a_batch_measures_batch_1_only(paths):
    config = engines.Config("float", "tflite", str(paths["float_tflite"]), threads=1)
    result = engines.measure_fresh(config, batch=None)
    assert result["batch_time"] is None and result["images_per_second"] is None
    assert 0 < result["latency"]["median"]
    assert result["peak_rss_bytes"] >= result["rss_before_bytes"] > 0


def test_measure_fresh_reports_a_failing_engine_clearly(tmp_path):
    missing = str(tmp_path / "missing.tflite")
    config = engines.Config("broken", "lce", missing, threads=1)
    with pytest.raises(RuntimeError, match="benchmark of 'broken' failed"):
        engines.measure_fresh(config, batch=2)


def test_engine_configs_cover_every_engine_per_thread_count(paths):
    configs = deployment.engine_configs(paths, threads=(1, 2))
    assert len(configs) == 16 and {c.threads for c in configs} == {1, 2}
    assert {c.threads for c in configs if c.runtime == "keras"} == {1}
    assert {c.runtime for c in configs} == {"keras", "tflite", "lce", "bnnbook"}


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
    result = engines.measure_fresh(
        engines.Config("onnx", "onnx", str(path), threads=1), batch=8
    )
    assert 0 < result["latency"]["median"] and result["images_per_second"] > 0

    from bnnbook.runtimes import onnx_predict

    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    expected = net(torch.from_numpy(images.transpose(0, 3, 1, 2))).detach().numpy()
    np.testing.assert_allclose(
        onnx_predict(path.read_bytes(), 1)(images), expected, atol=1e-5
    )
