"""The engines that run the book's models, found in one registry.

To add an engine: write one subclass of :class:`bnnbook.deploy.interface.Engine` (in
:mod:`bnnbook.deploy.runtimes`, beside its ``predict``) and add it to
:data:`ENGINES`. Nothing else dispatches on engine names: measurements
(:mod:`bnnbook.bench.measure`), the forked workers' preloads, the sweeps and the
deployed forms all read this registry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnnbook.colab import LCE_RUNTIME
from bnnbook.deploy.interface import Config, Engine, Predict
from bnnbook.deploy.runtimes import (
    LCE, ONNX, BookEngine, FloatTFLite, Int8TFLite, Keras,
)

__all__ = ["ENGINES", "Config", "Engine", "Predict", "available", "engine", "write"]

#: Where Larq Compute Engine installs: its last release (0.16, 2024) has wheels for
#: Python 3.10-3.12 only.
_LCE_WHERE = (
    "use Python 3.11 or 3.12, which its last release (0.16) has wheels for (in Colab: "
    f"Runtime > Change runtime type > Runtime version {LCE_RUNTIME})"
)

#: Every engine, by key.
ENGINES: dict[str, Engine] = {
    engine.key: engine
    for engine in (
        Keras("keras", "Keras", ".h5", "tensorflow", binary=False),
        FloatTFLite("float", "float TFLite", ".tflite", "ai_edge_litert", binary=False),
        Int8TFLite("int8", "int8 TFLite", ".tflite", "ai_edge_litert", binary=False),
        LCE("lce", "LCE, best kernels", ".tflite", "larq_compute_engine", binary=True,
            options=(("indirect_bgemm", True), ("xnnpack", True)),
            where=_LCE_WHERE),
        ONNX("onnx", "ONNX Runtime", ".onnx", "onnxruntime", binary=False),
        BookEngine("bnnbook", "the book's engine", ".npz", "numba", binary=True),
    )
}


def engine(key: str) -> Engine:
    """The engine named ``key``.

    Raises:
        ValueError: no engine has that key.
    """
    if key not in ENGINES:
        raise ValueError(f"unknown engine {key!r}: use one of {', '.join(ENGINES)}")
    return ENGINES[key]


def write(keys: tuple[str, ...], float_net, binary_net, stem: Path,
          calibration: np.ndarray | None = None) -> dict[str, Path]:
    """Deploy the float and the binarized model to each engine of ``keys`` (each takes
    the one it runs, :attr:`Engine.binary`), as ``<stem>_<key><suffix>``; paths by
    key. ``calibration``: training images, for int8."""
    paths = {}
    for key in keys:
        found = engine(key)
        model = binary_net if found.binary else float_net
        path = Path(f"{stem}_{key}{found.suffix}")
        paths[key] = found.write(model, path, calibration)
    return paths


def available(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The engines of ``keys`` this runtime has, in order."""
    return tuple(key for key in keys if engine(key).available())
