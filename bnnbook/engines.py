"""The engines that run the book's models, and one measurement of one of them.

- :class:`Config`: one engine (Keras, TensorFlow Lite, LCE, ONNX Runtime) running one
  model file, with its thread count and kernel options.
- :func:`measure`: its batch-1 latency, throughput and peak memory in this process;
  :func:`measure_fresh` runs that in a new Python (the way to measure memory), and
  :func:`bnnbook.forked.compare` in forked workers, in interleaved rounds (the way
  the book compares speeds).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bnnbook import timing

#: Images per call for the throughput figures.
BATCH = 256

#: The package each runtime imports before the memory baseline is taken.
_PACKAGES = {"lce": "larq_compute_engine", "onnx": "onnxruntime", "bnnbook": "numba"}


@dataclasses.dataclass(frozen=True)
class Config:
    """One engine running one model file.

    Attributes:
        label: how tables name it.
        runtime: ``"keras"`` (an ``.h5`` file), ``"tflite"`` or ``"lce"`` (a
            flatbuffer), ``"onnx"`` (an ONNX file with a dynamic batch dimension),
            ``"bnnbook"`` (the book's engine: a packed model, ``bnnbook.engine``).
        path: the model file.
        threads: threads the engine may use.
        indirect_bgemm, xnnpack: LCE kernel options (see ``runtimes.lce_predict``).
        shape: one input image's shape, channels last (MNIST's by default).
    """

    label: str
    runtime: str
    path: str
    threads: int
    indirect_bgemm: bool = False
    xnnpack: bool = False
    shape: tuple[int, ...] = (28, 28, 1)


def measure(
    config: Config,
    batch: int | None = BATCH,
    seed: int = 0,
    repeats: int = 200,
    warmup: int = 20,
) -> dict:
    """Latency (batch 1), throughput (``batch`` images per call; ``None`` for latency
    only) and peak memory of ``config`` in THIS process. Call it in a new process:
    see :func:`measure_fresh` and :func:`bnnbook.forked.measure`.

    Returns a dict with the config's fields and: ``latency`` (``repeats`` calls after
    ``warmup`` untimed ones) and ``batch_time`` (:class:`timing.Timing` as dicts,
    seconds), ``images_per_second`` (median), ``rss_before_bytes`` (after imports,
    before the model is loaded) and ``peak_rss_bytes`` (the peak while loading the
    model and running inference). Without ``batch``, ``batch_time`` and
    ``images_per_second`` are ``None`` and the memory peak is that of batch-1
    inference alone.
    """
    import tensorflow as tf

    from bnnbook import runtimes

    if config.runtime == "keras":  # TensorFlow's pools must be sized before any op runs
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
        tf.config.threading.set_inter_op_parallelism_threads(config.threads)
        import larq  # noqa: F401  (registers Larq's layers for load_model)
    elif config.runtime in _PACKAGES:  # the package's memory is not the model's
        importlib.import_module(_PACKAGES[config.runtime])
    images = (
        np.random.default_rng(seed)
        .uniform(-1, 1, (batch or 1, *config.shape))
        .astype(np.float32)
    )
    timing.reset_peak_rss()
    rss_before = timing.rss_bytes()
    if config.runtime == "keras":
        model = tf.keras.models.load_model(config.path, compile=False)
        one = many = runtimes.keras_predict(model)
    elif config.runtime == "tflite":
        flatbuffer = Path(config.path).read_bytes()
        one = many = runtimes.tflite_predict(flatbuffer, 1, config.threads)
        if batch:  # a second interpreter, sized for the batch
            many = runtimes.tflite_predict(flatbuffer, batch, config.threads)
    elif config.runtime == "lce":
        one = many = runtimes.lce_predict(
            Path(config.path).read_bytes(),
            config.threads,
            config.indirect_bgemm,
            config.xnnpack,
        )
    elif config.runtime == "onnx":
        one = many = runtimes.onnx_predict(
            Path(config.path).read_bytes(), config.threads
        )
    elif config.runtime == "bnnbook":
        one = many = runtimes.engine_predict(config.path, config.threads)
    else:
        raise ValueError(
            f"unknown runtime {config.runtime!r}: use keras, tflite, lce, onnx or "
            "bnnbook"
        )
    latency = timing.time_calls(lambda: one(images[:1]), warmup, repeats)
    batch_time = None
    if batch:
        batch_time = timing.time_calls(lambda: many(images), warmup=1, repeats=3)
    return {
        **dataclasses.asdict(config),
        "latency": dataclasses.asdict(latency),
        "batch_time": batch_time and dataclasses.asdict(batch_time),
        "images_per_second": batch / batch_time.median if batch_time else None,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": timing.peak_rss_bytes(),
    }


def measure_fresh(config: Config, batch: int | None = BATCH) -> dict:
    """:func:`measure` in a new Python process, so that thread pools, caches and the
    memory peak belong to this engine alone (``batch=None``: batch 1 only)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bnnbook.engines",
            json.dumps({"config": dataclasses.asdict(config), "batch": batch}),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"benchmark of {config.label!r} failed:\n{result.stderr[-3000:]}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":  # the worker of measure_fresh: one measurement, as JSON
    work = json.loads(sys.argv[1])
    print(json.dumps(measure(Config(**work["config"]), work["batch"])))
