"""The book's own binary inference engine: a trained Larq model packed into bits and
run with the compiled kernels of :mod:`bnnbook.engine.kernels`.

:func:`pack_model` reads a Larq model built like :func:`bnnbook.models.binary_model`
(any width; :func:`bnnbook.engine.blocks.blocks` says what it accepts) and keeps, per
layer:

- a real-input first layer's ±1 kernel as float32 (a float convolution);
- a binary layer's kernel packed into uint64 words, 64 input channels per word;
- batch normalisation and the next layer's sign folded into one threshold per channel
  (an integer after a binary layer: its pre-activations are integers);
- the last layer's batch normalisation as a float scale and offset, the logits.

:func:`predict` runs it; :func:`save` and :func:`load` keep it in one ``.npz`` file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numba
import numpy as np

from bnnbook.engine import kernels

#: Each layer's shape and options in the saved file, in this order.
_META = ("kh", "kw", "c_in", "c_out", "binary_input", "pool")


@dataclasses.dataclass(frozen=True)
class Layer:
    """One weight layer of a packed model.

    Attributes:
        kh, kw, c_in, c_out: the kernel's shape (a dense layer: the map it covers).
        binary_input: whether it takes packed signs (every layer but a real first).
        pool: max-pooling size after it (1: none).
        kernel: ``(kh, kw, c_in, c_out)`` float32 ±1 for a real-input layer, else
            ``(kh * kw * ceil(c_in / 64), c_out)`` uint64 (:func:`kernels.pack_kernel`).
        threshold: ``(c_out,)`` per channel: the next input bit is 1 (-1) where the
            pooled pre-activation is below it. int32 after a binary layer, else
            float64. Unused in the last layer.
    """

    kh: int
    kw: int
    c_in: int
    c_out: int
    binary_input: bool
    pool: int
    kernel: np.ndarray
    threshold: np.ndarray


@dataclasses.dataclass(frozen=True)
class PackedModel:
    """Layers, then the last one's batch normalisation:
    ``logits = pre * scale + offset`` (float64, per output channel)."""

    layers: tuple[Layer, ...]
    scale: np.ndarray
    offset: np.ndarray

    @property
    def weight_bytes(self) -> int:
        """Bytes of the kernels as stored (packed words, or float32 for a real one)."""
        return sum(layer.kernel.nbytes for layer in self.layers)


def pack_model(model) -> PackedModel:
    """Pack a trained Larq model (see the module's docstring).

    Batch normalisation and the next sign become one threshold ``t`` per channel
    (:attr:`bnnbook.engine.blocks.Block.threshold`): batch normalisation without a
    scale, ``BN(p) = (p - mean) / sqrt(var + eps) + beta``, is increasing in ``p``,
    so ``sign(BN(p)) = +1`` exactly when ``p >= t``. After a binary layer ``t`` is
    rounded up, and exactly so: that layer's pre-activations are integers (sums of
    ±1 products, :func:`kernels.binary_conv`), and for an integer ``p``, ``p >= t``
    holds exactly when ``p >= ceil(t)``, the least integer not below ``t``. The
    kernels then compare integers with integers (``pre < ceil(t)`` gives bit 1, -1).
    A real-input first layer's float pre-activations keep the float64 ``t``.

    Raises:
        ValueError: a layer the engine cannot run (from
            :func:`bnnbook.engine.blocks.blocks`).
    """
    from bnnbook.engine.blocks import blocks  # TensorFlow: only where Keras is read

    layers = []
    net = blocks(model)
    for block in net:
        kh, kw, c_in, c_out = block.kernel.shape
        if block.binary_input:
            kernel = kernels.pack_kernel(block.kernel)
            threshold = np.ceil(block.threshold).astype(np.int32)  # pre < t, integers
        else:
            kernel, threshold = block.kernel.astype(np.float32), block.threshold
        layers.append(
            Layer(
                kh, kw, c_in, c_out, block.binary_input, block.pool, kernel, threshold
            )
        )
    last = net[-1]
    scale = 1 / np.sqrt(last.variance + last.epsilon)
    offset = last.beta - last.mean * scale
    return PackedModel(tuple(layers), scale, offset)


def _passes(model: PackedModel, images: np.ndarray):
    """Yield each layer's pre-activations (before pooling) and the final logits."""
    state = images
    for index, layer in enumerate(model.layers):
        if layer.binary_input:
            if state.dtype != np.uint64:  # a binary first layer: pack the input's signs
                state = kernels.pack_signs(state)
            n_bits = layer.kh * layer.kw * layer.c_in
            pre = kernels.binary_conv(state, layer.kernel, layer.kh, layer.kw, n_bits)
        else:
            pre = kernels.float_conv(state, layer.kernel)
        yield pre
        if index < len(model.layers) - 1:
            state = kernels.threshold_pool_pack(pre, layer.threshold, layer.pool)
    logits = pre * model.scale + model.offset  # float64, as blocks.Block.normalize
    yield logits.astype(np.float32).reshape(len(images), -1)


def predict(
    model: PackedModel, images: np.ndarray, threads: int | None = None
) -> np.ndarray:
    """Logits ``(N, outputs)`` float32 of ``images`` ``(N, H, W, C)`` float32, on
    ``threads`` threads (``None``: as many as Numba has, one per core)."""
    images = _checked(model, images)
    numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
    *_, logits = _passes(model, images)
    return logits


def pre_activations(model: PackedModel, images: np.ndarray) -> list[np.ndarray]:
    """Every layer's pre-activations: float32 for a real-input first layer, int32
    (integers in ``[-n, n]``) for the binary ones."""
    return list(_passes(model, _checked(model, images)))[:-1]


def _checked(model: PackedModel, images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    channels = model.layers[0].c_in
    if images.ndim != 4 or images.shape[-1] != channels:
        raise ValueError(
            f"images must be (N, height, width, {channels}) channels last, got shape "
            f"{images.shape}: add the channel axis with images[..., None]"
        )
    return np.ascontiguousarray(images, dtype=np.float32)


def save(model: PackedModel, path: Path) -> int:
    """Write ``model`` to ``path`` (one uncompressed ``.npz``); returns the file's
    size in bytes."""
    arrays = {"scale": model.scale, "offset": model.offset}
    for i, layer in enumerate(model.layers):
        arrays[f"meta{i}"] = np.array([getattr(layer, k) for k in _META], np.int64)
        arrays[f"kernel{i}"] = layer.kernel
        arrays[f"threshold{i}"] = layer.threshold
    with open(path, "wb") as file:  # np.savez would append .npz to other names
        np.savez(file, **arrays)
    return Path(path).stat().st_size


def load(path: Path) -> PackedModel:
    """Read a model written by :func:`save`.

    Raises:
        ValueError: ``path`` is not such a file.
    """
    try:
        with np.load(path) as arrays:
            count = sum(name.startswith("meta") for name in arrays.files)
            layers = tuple(
                Layer(
                    **dict(zip(_META, map(int, arrays[f"meta{i}"]))),
                    kernel=arrays[f"kernel{i}"],
                    threshold=arrays[f"threshold{i}"],
                )
                for i in range(count)
            )
            scale, offset = arrays["scale"], arrays["offset"]
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"{path} is not a packed model written by bnnbook.engine.packed.save "
            f"({error}); "
            "pack a trained Larq model with pack_model and save it"
        ) from error
    return PackedModel(
        tuple(
            dataclasses.replace(layer, binary_input=bool(layer.binary_input))
            for layer in layers
        ),
        scale,
        offset,
    )
