"""The book's BNN read from Keras into blocks, and run on bits in NumPy.

:func:`blocks` reads a trained Larq model as a list of :class:`Block` (a weight layer,
its max-pooling and its batch normalisation); :func:`forward` runs them on bits
(:mod:`bnnbook.engine.bits`) and :func:`forward_float` runs the same network in
float32, as a float engine would. Chapter 5 builds these steps by hand;
:mod:`bnnbook.engine.packed` compiles them.
"""

from __future__ import annotations

import dataclasses
import functools

import larq as lq
import numpy as np
import tensorflow as tf

from bnnbook.engine.bits import binary_dot, pack, pool, windows


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
        """``mean - beta * sqrt(var + eps)`` per channel, ``(c_out,)`` float64: where
        batch normalisation and the next layer's sign meet.

        Batch normalisation without a scale, ``BN(x) = (x - mean) / s + beta`` with
        ``s = sqrt(var + eps) > 0``, is increasing in ``x``, and ``BN(x) >= 0``
        exactly when ``x >= mean - beta * s``. With ``sign(0) = +1``,
        the next layer's input is +1 exactly when ``x >= threshold``: BN and sign
        fold into one comparison, as FINN does (Umuroglu et al. 2017, "FINN: A
        Framework for Fast, Scalable Binarized Neural Network Inference", FPGA).
        After a binary layer ``x`` is an integer, so the threshold may be rounded up
        without changing a bit (:func:`bnnbook.engine.packed.pack_model`)."""
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
