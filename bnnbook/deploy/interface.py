"""The interface every engine implements (:class:`Engine`), and one engine running one
file (:class:`Config`), which is what the benchmarks measure
(:mod:`bnnbook.bench.measure`).

An :class:`Engine` says four things: what file it runs (:attr:`Engine.suffix`), how
that file is built from a Keras model (:meth:`Engine.write`), whether this runtime has
it (:meth:`Engine.available`), and how it predicts (:meth:`Engine.load`). The engines
themselves are in :mod:`bnnbook.deploy.runtimes`, found by key in
:data:`bnnbook.deploy.registry.ENGINES`.
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
        where: how to get it where this runtime lacks it (a clause).
    """

    key: str
    label: str
    suffix: str
    package: str
    binary: bool
    options: tuple[tuple[str, bool], ...] = ()
    where: str = "pip install it"

    def available(self) -> bool:
        """Whether this runtime can import the engine's package."""
        return importlib.util.find_spec(self.package) is not None

    def missing(self) -> str:
        """One line for a chapter run where this engine is not installed: what the
        chapter leaves out, and where to see it."""
        name = self.label.split(",")[0]
        return (f"{name} is not installed in this runtime: each cell that runs it says "
                f"so in one line. To see those cells, {self.where}.")

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
