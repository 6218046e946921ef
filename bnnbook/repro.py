"""Reproducibility: one seed for Python, NumPy and TensorFlow; the versions in use."""

from __future__ import annotations

import platform
from importlib import metadata

import tensorflow as tf

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
