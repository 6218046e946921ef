"""Bits in NumPy: bit-packing, popcount and binary dot products, with no TensorFlow.

Convention (Larq Compute Engine's): +1 is stored as bit 0 and -1 as bit 1. A vector of
n signs packs into ceil(n / 64) little-endian uint64 words, padded with 0 bits. For two
such vectors a and b, the dot product is ``a . b = n - 2 * popcount(a XOR b)``: each
differing bit is a product of -1, each equal bit one of +1, and the padding bits, 0 in
both, never differ.

Why ``n - 2 * popcount``: with bits :math:`a_i, b_i \\in \\{0, 1\\}` for signs
:math:`s(a_i) = 1 - 2 a_i`, each product is :math:`s(a_i) s(b_i) = 1 - 2 (a_i \\oplus
b_i)`, so the sum over :math:`n` positions is :math:`n - 2 \\sum_i a_i \\oplus b_i`.
XNOR-Net (Rastegari et al. 2016) counts agreements instead, :math:`2\\,
\\mathrm{popcount}(\\overline{a \\oplus b}) - n`: the same number when the padding bits
are masked. :mod:`bnnbook.engine.blocks` runs the book's network on these bits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
