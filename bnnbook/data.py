"""MNIST: load the four IDX files, verify them, scale pixels for a binarized network.

Sources, in order: a directory passed to :func:`load_mnist`, the directory named by the
environment variable ``BNNBOOK_MNIST_DIR``, then Keras's own download (cached in
``~/.keras/datasets``). Local files may be gzip-compressed (``.gz``) or raw; each is
checked against the SHA-256 of its uncompressed bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

ENV_VAR = "BNNBOOK_MNIST_DIR"

#: SHA-256 of the UNCOMPRESSED IDX files (the LeCun/Cortes/Burges distribution).
SHA256 = {
    "train-images-idx3-ubyte": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}

#: Expected shape of each file's array: images (N, 28, 28), labels (N,).
SHAPES = {
    "train-images-idx3-ubyte": (60000, 28, 28),
    "train-labels-idx1-ubyte": (60000,),
    "t10k-images-idx3-ubyte": (10000, 28, 28),
    "t10k-labels-idx1-ubyte": (10000,),
}

Split = tuple[np.ndarray, np.ndarray]


class MnistError(RuntimeError):
    """MNIST could not be loaded; the message names the file and the fix."""


def load_mnist(directory: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Same shapes, dtypes and order as ``tf.keras.datasets.mnist.load_data()``: uint8
    images of shape (60000, 28, 28) and (10000, 28, 28), uint8 labels 0-9.

    Args:
        directory: folder holding the four IDX files (gzip or raw). If ``None``, the
            folder named by ``$BNNBOOK_MNIST_DIR``; if that is unset, Keras downloads.

    Raises:
        MnistError: a file is missing, truncated, corrupt or of the wrong size, or no
            local copy was given and the download failed.
    """
    if directory is None:
        directory = os.environ.get(ENV_VAR) or None
    if directory is None:
        return _download()
    folder = Path(directory)
    if not folder.is_dir():
        raise MnistError(
            f"MNIST folder {folder} does not exist. Fix: pass the folder that holds "
            f"the four IDX files (or set {ENV_VAR} to it), or pass nothing and unset "
            f"{ENV_VAR} to let Keras download MNIST."
        )
    arrays = {name: read_idx(find_idx(folder, name)) for name in SHA256}
    return (
        (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


def find_idx(folder: Path, name: str) -> Path:
    """The path of IDX file ``name`` in ``folder``, compressed (``.gz``) or raw."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    raise MnistError(
        f"MNIST file {name}(.gz) is missing from {folder}. Fix: put all four files "
        f"({', '.join(SHA256)}; gzip or raw) in that folder, or point {ENV_VAR} / "
        "load_mnist(directory=...) at the folder that has them."
    )


def read_idx(path: Path) -> np.ndarray:
    """Read one MNIST IDX file after checking its SHA-256 and its header.

    Raises:
        MnistError: the file cannot be decompressed, or its bytes or shape are not
            those of the MNIST file of that name.
    """
    name = path.name.removesuffix(".gz")
    if name not in SHA256:
        raise MnistError(
            f"{path} is not one of the four MNIST files ({', '.join(SHA256)})."
        )
    fix = (
        f"Fix: replace {path} with an intact copy of {name} (gzip or raw) from the "
        "MNIST distribution; the one in this folder is damaged."
    )
    try:
        data = (
            gzip.decompress(path.read_bytes())
            if path.suffix == ".gz"
            else path.read_bytes()
        )
    except (OSError, EOFError, zlib.error) as error:
        raise MnistError(
            f"{path} is not a readable gzip file ({error}). {fix}"
        ) from error
    shape = SHAPES[name]
    header = 4 + 4 * len(shape)
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise MnistError(
            f"{path} holds {len(data)} bytes after decompression, but {name} has "
            f"{expected} (a {header}-byte header and {shape} uint8 values): the file "
            f"is truncated or not {name}. {fix}"
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise MnistError(
            f"{path} has SHA-256 {digest} after decompression, expected "
            f"{SHA256[name]}: the file is corrupt. {fix}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _download() -> tuple[Split, Split]:
    """Keras's own download (verified by Keras against its file hash)."""
    import tensorflow as tf  # bnnbook/__init__ has already selected Keras 2

    try:
        return tf.keras.datasets.mnist.load_data()
    except Exception as error:  # Keras wraps urllib errors in a bare Exception
        raise MnistError(
            f"MNIST is not available: no local copy was given ({ENV_VAR} is unset) and "
            f"Keras could not download it ({type(error).__name__}: {error}). Fix: on a "
            f"machine without internet, set {ENV_VAR} to a folder with the four MNIST "
            "IDX files (gzip or raw) or call load_mnist(directory=...); otherwise "
            "check the network connection."
        ) from error


def scale_to_pm1(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images (N, 28, 28) to float32 (N, 28, 28, 1) in [-1, 1].

    ``x / 127.5 - 1`` maps 0 to -1 and 255 to +1, so the sign of a pixel says whether it
    is brighter than mid-grey. The channel axis is what Conv2D layers expect.
    """
    if images.dtype != np.uint8:
        raise TypeError(f"expected uint8 images in 0..255, got {images.dtype}")
    return (images.astype(np.float32) / 127.5 - 1.0)[..., np.newaxis]


def holdout(x: np.ndarray, y: np.ndarray, size: int = 5000) -> tuple[Split, Split]:
    """Split off the last ``size`` examples for validation: ``(train, validation)``.

    The test set stays untouched until the final evaluation.
    """
    if not 0 < size < len(x):
        raise ValueError(f"validation size {size} must be between 0 and {len(x)}")
    return (x[:-size], y[:-size]), (x[-size:], y[-size:])


def prepared(
    directory: str | os.PathLike | None = None, size: int = 5000
) -> tuple[Split, Split, Split]:
    """``(train, validation, test)`` as chapters 2 and 3 prepare them: MNIST loaded
    (:func:`load_mnist`), scaled to [-1, 1] (:func:`scale_to_pm1`), and the last
    ``size`` training examples held out for validation (:func:`holdout`)."""
    (x_train, y_train), (x_test, y_test) = load_mnist(directory)
    train, validation = holdout(scale_to_pm1(x_train), y_train, size)
    return train, validation, (scale_to_pm1(x_test), y_test)
