"""The engines that run the book's models, found in one registry.

An :class:`Engine` says four things: what file it runs (:attr:`Engine.suffix`), how
that file is built from a Keras model (:meth:`Engine.write`), whether this runtime has
it (:meth:`Engine.available`), and how it predicts (:meth:`Engine.load`). A
:class:`Config` is one engine running one file with its threads and kernel options,
which is what the benchmarks measure (:mod:`bnnbook.bench.measure`).

To add an engine: write one subclass of :class:`Engine` and add it to
:data:`ENGINES`. Nothing else dispatches on engine names.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: ``predict(images) -> scores``: channels-last float32 images in, one row per image.
Predict = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config:
    """One engine running one model file.

    Attributes:
        label: how tables name it.
        engine: its key in :data:`ENGINES` (``"keras"``, ``"float"``, ``"int8"``,
            ``"lce"``, ``"onnx"``, ``"bnnbook"``).
        path: the model file.
        threads: threads the engine may use.
        shape: one input image's shape, channels last (MNIST's by default).
        indirect_bgemm: LCE only: the indirect binary GEMM kernel for ``LceBconv2d``
            instead of the default im2col + BGEMM one.
        xnnpack: LCE only: run the float ops (first layer, quantize/dequantize)
            through XNNPACK.
    """

    label: str
    engine: str
    path: str
    threads: int
    shape: tuple[int, ...] = (28, 28, 1)
    indirect_bgemm: bool = False
    xnnpack: bool = False


@dataclasses.dataclass(frozen=True)
class Engine:
    """One inference engine (see the module's docstring).

    Attributes:
        key: its name in :data:`ENGINES` and in :attr:`Config.engine`.
        label: how tables name it.
        suffix: its model file's suffix.
        package: the Python package it imports: this runtime has the engine when the
            package is installed, and a memory measurement imports it before its
            baseline.
        binary: whether it deploys the binarized model (else the float one).
        options: the :class:`Config` options of its fastest kernels on x86.
    """

    key: str
    label: str
    suffix: str
    package: str
    binary: bool
    options: tuple[tuple[str, bool], ...] = ()

    def available(self) -> bool:
        """Whether this runtime can import the engine's package."""
        return importlib.util.find_spec(self.package) is not None

    def config(self, path: Path, threads: int = 1, label: str | None = None,
               **fields) -> Config:
        """A :class:`Config` of this engine on ``path`` with its fastest options."""
        return Config(label=label or self.label, engine=self.key, path=str(path),
                      threads=threads, **{**dict(self.options), **fields})

    def prepare(self, threads: int) -> None:
        """Import the engine's package, before anything is measured in this process."""
        importlib.import_module(self.package)

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        """Build this engine's file of ``model`` at ``path``; returns ``path``."""
        raise NotImplementedError(f"{self.label} files are not built from Keras models")

    def load(self, config: Config, batch: int) -> Predict:
        """The engine's ``predict`` on ``config``'s file, for ``batch`` images a call
        (engines that resize for any batch ignore it)."""
        raise NotImplementedError

    def sized_per_batch(self) -> bool:
        """Whether :meth:`load` must be called again for another batch size."""
        return False


class Keras(Engine):
    """Keras 2 itself on an ``.h5`` file: a QAT model computes in float32 with sign
    functions, a simulation, not binary arithmetic."""

    def prepare(self, threads: int) -> None:
        import tensorflow as tf  # its pools must be sized before any op runs

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import larq  # noqa: F401  (registers Larq's layers for load_model)

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.artifacts import save_h5

        save_h5(model, path)
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        import tensorflow as tf

        from bnnbook.deploy.runtimes import keras_predict

        return keras_predict(tf.keras.models.load_model(config.path, compile=False))


class FloatTFLite(Engine):
    """TensorFlow Lite on a float32 flatbuffer (XNNPACK by default)."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.deploy.convert import to_tflite

        Path(path).write_bytes(to_tflite(model))
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        from bnnbook.deploy.runtimes import tflite_predict

        return tflite_predict(Path(config.path).read_bytes(), batch, config.threads)

    def sized_per_batch(self) -> bool:
        return True


class Int8TFLite(FloatTFLite):
    """TensorFlow Lite on a full-integer flatbuffer, calibrated on training images."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.deploy.convert import to_int8

        if calibration is None:
            raise ValueError("an int8 file needs calibration images: pass training "
                             "images as calibration=")
        Path(path).write_bytes(to_int8(model, calibration))
        return Path(path)


class LCE(Engine):
    """Larq Compute Engine on its flatbuffer: binary convolutions bit-packed. Dense
    layers are written as convolutions first, the form LCE 0.16 binarizes
    (:func:`bnnbook.deploy.convert.dense_as_conv`)."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.deploy.convert import dense_as_conv, to_lce

        Path(path).write_bytes(to_lce(dense_as_conv(model)))
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        from bnnbook.deploy.runtimes import lce_predict

        return lce_predict(Path(config.path).read_bytes(), config.threads,
                           config.indirect_bgemm, config.xnnpack)


class ONNX(Engine):
    """ONNX Runtime's CPU provider on an ONNX file exported from PyTorch (chapter 7)."""

    def load(self, config: Config, batch: int) -> Predict:
        from bnnbook.deploy.runtimes import onnx_predict

        return onnx_predict(Path(config.path).read_bytes(), config.threads)


class BookEngine(Engine):
    """The book's own engine (:mod:`bnnbook.engine`): XNOR-popcount compiled by Numba
    on a packed model. It returns logits, not probabilities: the same argmax."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.engine import packed

        packed.save(packed.pack_model(model), path)
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        from bnnbook.engine import packed  # Numba, and no TensorFlow

        model = packed.load(config.path)
        return lambda images: packed.predict(model, images, config.threads)


#: Every engine, by key.
ENGINES: dict[str, Engine] = {
    engine.key: engine
    for engine in (
        Keras("keras", "Keras", ".h5", "tensorflow", binary=False),
        FloatTFLite("float", "float TFLite", ".tflite", "tensorflow", binary=False),
        Int8TFLite("int8", "int8 TFLite", ".tflite", "tensorflow", binary=False),
        LCE("lce", "LCE, best kernels", ".tflite", "larq_compute_engine", binary=True,
            options=(("indirect_bgemm", True), ("xnnpack", True))),
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
