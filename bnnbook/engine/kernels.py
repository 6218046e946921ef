"""The book's binary kernels, compiled by Numba: XNOR-popcount on packed 64-bit words.

Bits follow :mod:`bnnbook.engine.bits` (and Larq Compute Engine): +1 is bit 0, -1 is bit
1. A feature map is stored channels-last with each pixel's channels packed into
``ceil(C / 64)`` uint64 words, ``(N, H, W, words)``. A binary convolution's
pre-activation is ``n - 2 * popcount(x XOR w)`` summed over its window, with ``n`` its
number of input bits: integers, exactly what Keras's float32 simulation computes.

:func:`popcount` is one LLVM instruction (``llvm.ctpop``), which LLVM lowers to the
best this CPU has: ``vpopcntq`` (AVX-512 VPOPCNTDQ), a nibble table with ``vpshufb``
(AVX2), scalar ``popcnt``, or ``cnt`` on ARM NEON. Every kernel runs its outer loop
with ``prange``: one thread or all threads by ``numba.set_num_threads``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from bnnbook.engine.bits import pack

#: Output pixels computed together: each weight word loaded once serves this many
#: (:func:`binary_conv`'s inner loop is written out for exactly 4).
ROWS = 4


def popcount_intrinsic(typingctx, word):
    """The number of 1 bits of a uint64, as LLVM's ``ctpop`` intrinsic: Numba types
    the call (uint64 in, uint64 out) and ``codegen`` emits the one LLVM instruction.
    Compiled as :func:`popcount`."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


#: :func:`popcount_intrinsic` as a function that compiled kernels call.
popcount = intrinsic(popcount_intrinsic)


@njit(parallel=True, cache=True)
def pack_signs(x: np.ndarray) -> np.ndarray:
    """Signs of float maps ``(N, H, W, C)`` packed per pixel: ``(N, H, W, words)``
    uint64, bit 1 where ``x < 0`` (``sign(0) = +1``, as Larq's ``ste_sign``)."""
    n, height, width, channels = x.shape
    words = (channels + 63) // 64
    out = np.empty((n, height, width, words), np.uint64)
    for p in prange(n * height):
        b, y = p // height, p % height
        for i in range(width):
            for k in range(words):
                word = np.uint64(0)
                for j in range(min(64, channels - 64 * k)):
                    word |= np.uint64(x[b, y, i, 64 * k + j] < 0) << np.uint64(j)
                out[b, y, i, k] = word
    return out


@njit(parallel=True, cache=True)
def float_conv(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A float32 convolution, stride 1, no padding: maps ``(N, H, W, C)`` and kernel
    ``(kh, kw, C, C_out)`` -> ``(N, H - kh + 1, W - kw + 1, C_out)``."""
    n, height, width, channels = x.shape
    kh, kw, _, c_out = kernel.shape
    oh, ow = height - kh + 1, width - kw + 1
    out = np.empty((n, oh, ow, c_out), np.float32)
    for p in prange(n * oh):
        b, y = p // oh, p % oh
        for i in range(ow):
            for o in range(c_out):
                out[b, y, i, o] = 0
            for u in range(kh):
                for v in range(kw):
                    for c in range(channels):
                        value = x[b, y + u, i + v, c]
                        for o in range(c_out):
                            out[b, y, i, o] += value * kernel[u, v, c, o]
    return out


@njit(parallel=True, cache=True)
def threshold_pool_pack(
    pre: np.ndarray, threshold: np.ndarray, size: int
) -> np.ndarray:
    """Max-pooling (``size`` x ``size``, non-overlapping, odd edges dropped), batch
    normalisation and sign in one step: bit 1 (-1) where the window's maximum is below
    the channel's ``threshold``. ``(N, H, W, C)`` ->
    ``(N, H // size, W // size, words)`` uint64.

    Why one comparison per window is enough: batch normalisation without a scale,
    ``BN(p) = (p - mean) / sqrt(var + eps) + beta``, is increasing in ``p``, so
    ``sign(BN(p))`` is +1 exactly when ``p >= threshold``, a non-decreasing step
    (:attr:`bnnbook.engine.blocks.Block.threshold`; an integer after a binary layer,
    :func:`bnnbook.engine.packed.pack_model`). A non-decreasing ``g`` commutes with
    the maximum, ``g(max S) = max g(S)``: pooling the pre-activations first (Keras's
    order: convolution, pooling, BN, sign) gives the same bit as pooling the signs
    (-1 only where all of the window is -1, as :func:`bnnbook.engine.bits.pool`
    does)."""
    n, height, width, channels = pre.shape
    h, w = height // size, width // size
    words = (channels + 63) // 64
    out = np.empty((n, h, w, words), np.uint64)
    for p in prange(n * h):
        b, y = p // h, p % h
        top = np.empty(channels, pre.dtype)
        for i in range(w):
            for c in range(channels):
                top[c] = pre[b, y * size, i * size, c]
            for u in range(size):
                for v in range(size):
                    for c in range(channels):
                        top[c] = max(top[c], pre[b, y * size + u, i * size + v, c])
            for k in range(words):
                word = np.uint64(0)
                for j in range(min(64, channels - 64 * k)):
                    below = np.uint64(top[64 * k + j] < threshold[64 * k + j])
                    word |= below << np.uint64(j)
                out[b, y, i, k] = word
    return out


@njit(parallel=True, cache=True)
def binary_conv(x: np.ndarray, weights: np.ndarray, kh: int, kw: int, n_bits: int):
    """A binary convolution, stride 1, no padding, as XNOR-popcount.

    With bit ``a`` for an input sign and ``b`` for a weight sign (bit 1 for -1), their
    product is ``(1 - 2a)(1 - 2b) = 1 - 2 (a XOR b)``: +1 where the bits agree, -1
    where they differ. Summed over the window's ``n_bits`` positions, the
    pre-activation of image ``b``, output pixel ``(y, i)`` and channel ``o`` is::

        pre[b, y, i, o] = n_bits - 2 * sum over taps (u, v) and words k of
                          popcount(x[b, y + u, i + v, k] XOR weights[(u, v, k), o])

    the dot product of the ±1 window and the ±1 kernel: an integer in
    ``[-n_bits, n_bits]``, exactly what a float32 convolution of the signs computes.
    Padding bits are 0 in both words, so they never differ and add nothing. XNOR-Net
    counts agreements instead, ``2 * popcount(NOT (x XOR w)) - n_bits``: the same
    number once the padding bits are masked (:mod:`bnnbook.engine.bits`).

    References: Rastegari, Ordonez, Redmon and Farhadi 2016, "XNOR-Net: ImageNet
    Classification Using Binary Convolutional Neural Networks" (ECCV); BinaryNet,
    Courbariaux, Hubara et al. 2016, "Binarized Neural Networks: Training Deep Neural
    Networks with Weights and Activations Constrained to +1 or -1" (arXiv:1602.02830;
    Hubara et al., NeurIPS 2016), which replaces the multiply-accumulates of binary
    layers with XNOR and population counts.

    Args:
        x: packed input maps ``(N, H, W, words)`` uint64.
        weights: packed kernel ``(kh * kw * words, C_out)`` uint64, row ``(u, v, k)``
            holding word ``k`` of tap ``(u, v)`` for every output channel.
        n_bits: input bits per window, ``kh * kw * C`` (padding bits are 0 in both).

    Returns:
        ``(N, H - kh + 1, W - kw + 1, C_out)`` int32 pre-activations in
        ``[-n_bits, n_bits]``.
    """
    n, height, width, words = x.shape
    c_out = weights.shape[1]
    oh, ow = height - kh + 1, width - kw + 1
    pixels = n * oh * ow
    out = np.empty((n, oh, ow, c_out), np.int32)
    for group in prange((pixels + ROWS - 1) // ROWS):
        first = group * ROWS
        rows = min(ROWS, pixels - first)
        column = np.zeros((ROWS, kh * kw * words), np.uint64)
        for r in range(rows):  # gather each pixel's window: im2col on packed words
            b, rest = divmod(first + r, oh * ow)
            y, i = divmod(rest, ow)
            k = 0
            for u in range(kh):
                for v in range(kw):
                    for word in range(words):
                        column[r, k] = x[b, y + u, i + v, word]
                        k += 1
        counts = np.zeros((ROWS, c_out), np.uint64)
        for k in range(column.shape[1]):  # every weight word serves ROWS pixels
            x0, x1, x2, x3 = column[0, k], column[1, k], column[2, k], column[3, k]
            for o in range(c_out):
                w = weights[k, o]
                counts[0, o] += popcount(x0 ^ w)
                counts[1, o] += popcount(x1 ^ w)
                counts[2, o] += popcount(x2 ^ w)
                counts[3, o] += popcount(x3 ^ w)
        for r in range(rows):
            b, rest = divmod(first + r, oh * ow)
            y, i = divmod(rest, ow)
            for o in range(c_out):
                out[b, y, i, o] = n_bits - 2 * np.int64(counts[r, o])
    return out


def pack_kernel(kernel: np.ndarray) -> np.ndarray:
    """A ±1 kernel ``(kh, kw, C, C_out)`` packed as :func:`binary_conv` reads it:
    ``(kh * kw * ceil(C / 64), C_out)`` uint64, each tap's channels packed by
    :func:`bnnbook.engine.bits.pack`."""
    c_out = kernel.shape[-1]
    words = pack(np.moveaxis(kernel < 0, -1, 0))  # (C_out, kh, kw, words), True = -1
    return np.ascontiguousarray(words.reshape(c_out, -1).T)
