"""One measurement of one engine (:mod:`bnnbook.bench.measure`): its arithmetic on a
stand-in engine and clock, then in a new Python on the book's (untrained) models."""

from __future__ import annotations

import types

import numpy as np
import pytest

from bnnbook.bench import measure, tables, timing
from bnnbook.deploy import registry
from bnnbook.deploy.registry import ENGINES, Config
from bnnbook.models import binary_model, float_model

#: Seconds per image of the stand-in engine: a power of two, so that the fake clock's
#: sums are exact.
PER_IMAGE = 2.0**-10


class Standin:
    """What :func:`measure.measure` asks of an engine, for an engine whose every call
    takes PER_IMAGE seconds per image on ``clock``; it records what it was asked."""

    def __init__(self, clock, sized: bool):
        self.clock, self.sized = clock, sized
        self.prepared, self.loads, self.shapes = None, [], []

    def prepare(self, threads: int) -> None:
        self.prepared = threads

    def load(self, config, batch):
        self.loads.append(batch)

        def predict(images):
            self.shapes.append(images.shape)
            assert images.dtype == np.float32 and np.abs(images).max() <= 1
            self.clock.now += PER_IMAGE * len(images)
            return np.zeros((len(images), 10), np.float32)

        return predict

    def sized_per_batch(self) -> bool:
        return self.sized


@pytest.fixture
def standin(monkeypatch):
    """Install a stand-in engine, ``sized`` per batch, and the clock it moves."""
    clock = types.SimpleNamespace(now=0.0)
    monkeypatch.setattr(
        timing, "time", types.SimpleNamespace(perf_counter=lambda: clock.now)
    )

    def install(sized: bool) -> Standin:
        found = Standin(clock, sized)
        monkeypatch.setitem(ENGINES, "standin", found)
        return found

    return install


CONFIG = Config(label="stand-in", engine="standin", path="unused", threads=3,
                shape=(5, 4, 2))


def test_measure_times_batch_1_and_a_batch_on_the_engines_own_clock(standin):
    found = standin(sized=True)
    result = measure.measure(CONFIG, batch=8, repeats=7, warmup=2)
    assert found.prepared == 3 and found.loads == [1, 8]
    # 2 + 7 latency calls of one image, then 1 + 3 batch calls (warm-up, timed)
    assert found.shapes == [(1, 5, 4, 2)] * 9 + [(8, 5, 4, 2)] * 4
    assert result["latency"] == {
        "median": PER_IMAGE, "p10": PER_IMAGE, "p90": PER_IMAGE, "repeats": 7,
    }
    assert result["batch_time"]["median"] == 8 * PER_IMAGE
    assert result["images_per_second"] == 1 / PER_IMAGE
    assert result["label"] == "stand-in" and result["shape"] == (5, 4, 2)


def test_an_engine_for_any_batch_is_loaded_once_and_batch_none_is_latency_only(
    standin,
):
    found = standin(sized=False)
    measure.measure(CONFIG, batch=8, repeats=3, warmup=1)
    assert found.loads == [1]  # the batch-1 predictor serves the batch too
    found = standin(sized=True)
    result = measure.measure(CONFIG, batch=None, repeats=3, warmup=1)
    assert found.loads == [1]
    assert found.shapes == [(1, 5, 4, 2)] * 4
    assert result["batch_time"] is None and result["images_per_second"] is None


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    stem = tmp_path_factory.mktemp("measure") / "net"
    return registry.write(("keras", "float", "lce", "bnnbook"), float_model(),
                          binary_model(), stem, images)


@pytest.mark.parametrize("key", ["keras", "float", "lce", "bnnbook"])
def test_measure_fresh_reports_timings_and_memory(paths, key):
    config = ENGINES[key].config(paths[key], label=f"test {key}")
    result = measure.measure_fresh(config, batch=8)
    assert result["label"] == config.label and result["engine"] == key
    assert result["threads"] == 1 and result["shape"] == [28, 28, 1]  # through JSON
    assert (result["indirect_bgemm"], result["xnnpack"]) == (key == "lce",) * 2
    assert result["latency"]["repeats"] == 200 and result["batch_time"]["repeats"] == 3
    for name in ("latency", "batch_time"):
        t = result[name]
        assert 0 < t["p10"] <= t["median"] <= t["p90"]
    assert result["images_per_second"] == pytest.approx(
        8 / result["batch_time"]["median"]
    )
    assert result["peak_rss_bytes"] >= result["rss_before_bytes"] > 0
    assert f"| {config.label} |" in tables.memory_table([result])


def test_measure_fresh_without_a_batch_measures_batch_1_only(paths):
    config = ENGINES["float"].config(paths["float"])
    result = measure.measure_fresh(config, batch=None)
    assert result["batch_time"] is None and result["images_per_second"] is None
    assert 0 < result["latency"]["median"]
    assert result["peak_rss_bytes"] >= result["rss_before_bytes"] > 0


def test_measure_fresh_reports_a_failing_engine_clearly(tmp_path):
    missing = tmp_path / "missing.tflite"
    config = ENGINES["lce"].config(missing, label="broken")
    with pytest.raises(
        RuntimeError,
        match="(?s)^benchmark of 'broken' failed: .*FileNotFoundError.*missing",
    ):
        measure.measure_fresh(config, batch=2)


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
    result = measure.measure_fresh(ENGINES["onnx"].config(path), batch=8)
    assert 0 < result["latency"]["median"] and result["images_per_second"] > 0

    from bnnbook.deploy.runtimes import onnx_predict

    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    expected = net(torch.from_numpy(images.transpose(0, 3, 1, 2))).detach().numpy()
    np.testing.assert_allclose(
        onnx_predict(path.read_bytes(), 1)(images), expected, atol=1e-5
    )
