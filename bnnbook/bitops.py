"""Binary layers by hand: bit-packing, popcount, and the book's BNN on bits in NumPy.

Convention (Larq Compute Engine's): +1 is stored as bit 0 and -1 as bit 1. A vector of
n signs packs into ceil(n / 64) little-endian uint64 words, padded with 0 bits. For two
such vectors a and b, the dot product is ``a . b = n - 2 * popcount(a XOR b)``: each
differing bit is a product of -1, each equal bit one of +1, and the padding bits, 0 in
both, never differ.

:func:`blocks` reads a trained Larq model as a list of :class:`Block` (a weight layer,
its max-pooling and its batch normalisation); :func:`forward` runs them on bits and
:func:`forward_float` runs the same network in float32, as a float engine would.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import larq as lq
import numpy as np
import tensorflow as tf

#: Set bits of every 16-bit number: 64 KiB, small enough to stay in a core's L2 cache.
_POPCOUNT16 = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.uint8)

#: uint64 words XOR-ed and counted per step of :func:`binary_dot` (512 KiB at a time).
_CHUNK_WORDS = 1 << 16


def pack(bits: np.ndarray) -> np.ndarray:
    """Pack booleans (True for -1) along the last axis into little-endian uint64 words.

    ``(..., n)`` bool -> ``(..., ceil(n / 64))`` uint64: element i is bit ``i % 64`` of
    word ``i // 64``; the padding bits of the last word are 0.
    """
    packed = np.packbits(bits, axis=-1, bitorder="little")
    padding = -packed.shape[-1] % 8  # bytes to fill the last 64-bit word
    if padding:
        packed = np.pad(packed, [(0, 0)] * (packed.ndim - 1) + [(0, padding)])
    return np.ascontiguousarray(packed).view("<u8")


def popcount(words: np.ndarray) -> np.ndarray:
    """Number of 1 bits in each packed vector: ``(..., L)`` uint64 -> ``(...)`` int32.

    NumPy 1.26 has no popcount (``np.bitwise_count`` came in 2.0), so each 64-bit word
    is read as four 16-bit halves looked up in a 65 536-entry table.
    """
    halves = np.ascontiguousarray(words, dtype=np.uint64).view(np.uint16)
    return _POPCOUNT16[halves].sum(axis=-1, dtype=np.int32)


def binary_dot(x: np.ndarray, w: np.ndarray, n: int) -> np.ndarray:
    """Dot products ``n - 2 * popcount(x XOR w)`` of every packed input vector, rows of
    ``x`` ``(M, L)`` uint64, with every packed weight vector, rows of ``w`` ``(C, L)``:
    ``(M, C)`` int32. ``n`` is the vectors' length in bits, without padding."""
    out = np.empty((len(x), len(w)), dtype=np.int32)
    step = max(1, _CHUNK_WORDS // w.size)
    for start in range(0, len(x), step):
        differ = x[start : start + step, None, :] ^ w[None, :, :]
        out[start : start + step] = n - 2 * popcount(differ)
    return out


def windows(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Every ``size`` window of NHWC maps (stride 1, no padding), flattened in a Keras
    kernel's order ``(kh, kw, c)``: ``(N, H, W, C)`` -> ``(N, H', W', kh * kw * C)``."""
    view = np.lib.stride_tricks.sliding_window_view(maps, size, axis=(1, 2))
    n, height, width = view.shape[:3]
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(n, height, width, -1)


def pool(maps: np.ndarray, size: int, reduce: Callable = np.max) -> np.ndarray:
    """Non-overlapping ``size x size`` pooling of NHWC maps (odd edges dropped, as in
    Keras). With ``reduce=np.all`` on bits (True for -1) it is max-pooling of signs: the
    maximum of -1s and +1s is -1 only if all of them are -1."""
    if size == 1:
        return maps
    n, height, width, channels = maps.shape
    h, w = height // size, width // size
    tiles = maps[:, : h * size, : w * size].reshape(n, h, size, w, size, channels)
    return reduce(tiles, axis=(2, 4))


@dataclasses.dataclass(frozen=True)
class Block:
    """One weight layer (a dense layer as the convolution covering its input map), its
    max-pooling and its batch normalisation (``scale=False``), for inference.

    Attributes:
        kernel: ``(kh, kw, c_in, c_out)`` float32 of +1 and -1, the binary weights.
        binary_input: whether the layer sees the signs of its input (not the first).
        pool: max-pooling size after the layer (1: none).
        mean, variance, beta: batch normalisation's moving mean and variance and its
            offset, ``(c_out,)`` float64.
        epsilon: batch normalisation's epsilon.
    """

    kernel: np.ndarray
    binary_input: bool
    pool: int
    mean: np.ndarray
    variance: np.ndarray
    beta: np.ndarray
    epsilon: float

    @functools.cached_property
    def words(self) -> np.ndarray:
        """The kernel packed per output channel: ``(c_out, L)`` uint64."""
        return pack(self.kernel.reshape(-1, self.kernel.shape[-1]).T < 0)

    @property
    def threshold(self) -> np.ndarray:
        """``mean - beta * sqrt(var + eps)`` per channel: BN without a scale is
        increasing in x, so ``BN(x) >= 0`` exactly when ``x >= threshold``."""
        return self.mean - self.beta * np.sqrt(self.variance + self.epsilon)

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """Batch normalisation at inference: ``(x - mean) / sqrt(var + eps) + beta``."""
        return (x - self.mean) / np.sqrt(self.variance + self.epsilon) + self.beta


def _check_binary(layer: tf.keras.layers.Layer) -> None:
    """Raise ValueError unless ``layer`` is a sign-binarized, bias-free, valid, stride-1
    QuantConv2D or QuantDense: what :func:`blocks` can run on bits."""
    config = layer.get_config()
    sign = lq.quantizers.SteSign
    if not (
        isinstance(layer.kernel_quantizer, sign)
        and isinstance(layer.input_quantizer, (sign, type(None)))
        and not layer.use_bias
        and config.get("padding", "valid") == "valid"
        and tuple(config.get("strides", (1, 1))) == (1, 1)
    ):
        raise ValueError(f"{layer.name}: needs ste_sign, no bias, 'valid', stride 1")


def blocks(model: tf.keras.Model) -> list[Block]:
    """Read a Larq model built like :func:`bnnbook.models.binary_model` as blocks.

    Raises:
        ValueError: a layer this module cannot run on bits (a quantizer other than
            ``ste_sign``, a bias, padding, strides, a scaled batch normalisation).
    """
    found: list[dict] = []
    grid = (1, 1)  # the map a dense layer's input was flattened from
    for layer in model.layers:
        if isinstance(layer, (lq.layers.QuantConv2D, lq.layers.QuantDense)):
            _check_binary(layer)
            kernel = layer.get_weights()[0]  # the latent weights
            if kernel.ndim == 2:
                kernel, grid = kernel.reshape(*grid, -1, kernel.shape[-1]), (1, 1)
            binary_input = layer.input_quantizer is not None
            if found and not binary_input:
                raise ValueError(f"{layer.name}: only the first layer has real input")
            signs = np.where(kernel >= 0, 1.0, -1.0).astype(np.float32)
            found.append(dict(kernel=signs, binary_input=binary_input, pool=1))
        elif isinstance(layer, tf.keras.layers.MaxPooling2D) and found:
            size, strides = tuple(layer.pool_size), tuple(layer.strides)
            if size[0] != size[1] or strides != size or layer.padding != "valid":
                raise ValueError(f"{layer.name}: only square, non-overlapping pooling")
            found[-1]["pool"] = size[0]
        elif isinstance(layer, tf.keras.layers.BatchNormalization) and found:
            if layer.scale or not layer.center:
                raise ValueError(f"{layer.name}: only BatchNormalization(scale=False)")
            beta, mean, variance = (w.astype(np.float64) for w in layer.get_weights())
            found[-1].update(
                mean=mean, variance=variance, beta=beta, epsilon=layer.epsilon
            )
        elif isinstance(layer, tf.keras.layers.Flatten):
            grid = tuple(layer.input_shape[1:3])
        elif not (
            isinstance(layer, tf.keras.layers.Activation) and layer is model.layers[-1]
        ):  # a final softmax keeps the argmax
            raise ValueError(f"{layer.name}: {type(layer).__name__} is not supported")
    return [Block(**block) for block in found]


def _bit_pass(net: list[Block], images: np.ndarray) -> tuple[np.ndarray, list]:
    """Logits and every block's pre-activations (before pooling), computed on bits."""
    state, pre_activations = images, []
    for block in net:
        kh, kw, c_in, c_out = block.kernel.shape
        if block.binary_input:  # XNOR-popcount on packed bits: exact integers
            if state.dtype != bool:  # a binary first layer: the signs of the input
                state = state < 0
            columns = pack(windows(state, (kh, kw)))
            dots = binary_dot(
                columns.reshape(-1, columns.shape[-1]), block.words, kh * kw * c_in
            )
            pre = dots.reshape(*columns.shape[:3], c_out)
        else:  # the real-valued image: additions and subtractions in float32
            pre = windows(state, (kh, kw)) @ block.kernel.reshape(-1, c_out)
        pre_activations.append(pre)
        state = pool(pre < block.threshold, block.pool, np.all)  # True for -1
    logits = net[-1].normalize(pre_activations[-1].reshape(len(images), -1))
    return logits.astype(np.float32), pre_activations


def _float_pass(net: list[Block], images: np.ndarray) -> np.ndarray:
    """Logits of the same network in float32: matrix products, max-pooling, BN, sign."""
    state = images
    for block in net:
        kh, kw, _, c_out = block.kernel.shape
        pre = windows(state, (kh, kw)) @ block.kernel.reshape(-1, c_out)
        normalized = block.normalize(pool(pre, block.pool)).astype(np.float32)
        state = np.where(normalized >= 0, np.float32(1), np.float32(-1))
    return normalized.reshape(len(images), -1)


def forward(net: list[Block], images: np.ndarray, batch: int = 500) -> np.ndarray:
    """Logits ``(N, classes)`` of the network computed on bits, ``batch`` images at a
    time (``images``: ``(N, H, W, C)`` float32)."""
    starts = range(0, len(images), batch)
    return np.concatenate([_bit_pass(net, images[i : i + batch])[0] for i in starts])


def forward_float(net: list[Block], images: np.ndarray, batch: int = 500) -> np.ndarray:
    """Logits ``(N, classes)`` of the same network in float32, ``batch`` at a time."""
    starts = range(0, len(images), batch)
    return np.concatenate([_float_pass(net, images[i : i + batch]) for i in starts])


def pre_activations(net: list[Block], images: np.ndarray) -> list[np.ndarray]:
    """Every block's pre-activations on bits, ``(N, H', W', c_out)``: float32 for the
    first block (real input), int32 for the binary ones (integers in ``[-n, n]``)."""
    return _bit_pass(net, images)[1]
