"""Reproducibility: one seed for Python, NumPy and TensorFlow; the versions in use and
the CPU they ran on (training results differ between CPU types: other float
kernels)."""

from __future__ import annotations

import platform
from importlib import metadata

import tensorflow as tf

from bnnbook import machine

#: The seed every chapter uses unless told otherwise.
SEED = 42

#: Distributions whose versions each chapter prints.
PACKAGES = (
    "tensorflow",
    "tf-keras",
    "larq",
    "larq-compute-engine",
    "numpy",
    "numba",
    "matplotlib",
)


def set_seed(seed: int = SEED) -> int:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic.

    Returns the seed, so a chapter can print what it used.
    """
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return seed


def versions() -> dict[str, str]:
    """Python's version and the installed version of each package in
    :data:`PACKAGES`."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def report(seed: int) -> str:
    """What each chapter prints first: the seed, each version of :func:`versions`,
    and the CPU (:func:`bnnbook.machine.cpu_model`, :func:`bnnbook.machine.features`),
    one per line."""
    lines = [f"{'seed':>20}: {seed}"]
    lines += [f"{name:>20}: {version}" for name, version in versions().items()]
    lines.append(f"{'cpu':>20}: {machine.cpu_model()}")
    lines.append(f"{'cpu features':>20}: {machine.features(machine.cpu_flags())}")
    return "\n".join(lines)
