"""The compiled binary kernels (:mod:`bnnbook.engine.kernels`) against plain NumPy
arithmetic (:mod:`bnnbook.engine.bits`), and the instructions they compile to."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from bnnbook.engine import bits, instructions, kernels

RNG = np.random.default_rng(11)


def signs(*shape: int) -> np.ndarray:
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


@pytest.mark.parametrize(
    "c_in, c_out, kernel", [(1, 3, (3, 3)), (32, 64, (3, 3)), (100, 7, (2, 3))]
)
def test_binary_conv_equals_the_float_convolution_of_signs(c_in, c_out, kernel):
    x = RNG.standard_normal((3, 7, 6, c_in)).astype(np.float32)
    weights = signs(*kernel, c_in, c_out)
    expected = bits.windows(np.where(x < 0, -1.0, 1.0), kernel) @ weights.reshape(
        -1, c_out
    )
    x_words, w_words = kernels.pack_signs(x), kernels.pack_kernel(weights)
    got = kernels.binary_conv(x_words, w_words, *kernel, weights[..., 0].size)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)


def test_pack_signs_follows_ste_sign_zero_is_plus_one():
    x = np.zeros((1, 1, 1, 70), np.float32)
    x[..., [1, 64, 69]] = -0.5
    words = kernels.pack_signs(x)[0, 0, 0]
    assert words.shape == (2,)
    assert [int(w) for w in words] == [2, 1 + 2**5]


def test_float_conv_equals_windows_times_kernel():
    x = RNG.standard_normal((2, 9, 8, 3)).astype(np.float32)
    kernel = RNG.standard_normal((3, 2, 3, 5)).astype(np.float32)
    expected = bits.windows(x, (3, 2)) @ kernel.reshape(-1, 5)
    np.testing.assert_allclose(kernels.float_conv(x, kernel), expected, atol=1e-5)


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_threshold_pool_pack_is_pooling_then_sign(size, dtype):
    pre = RNG.integers(-20, 20, (2, 7, 8, 70)).astype(dtype)
    threshold = RNG.integers(-5, 5, 70).astype(dtype)
    expected = bits.pack(bits.pool(pre < threshold, size, np.all))
    np.testing.assert_array_equal(
        kernels.threshold_pool_pack(pre, threshold, size), expected
    )


@numba.njit
def _count_each(words):
    out = np.empty(len(words), np.uint64)
    for i in range(len(words)):
        out[i] = kernels.popcount(words[i])
    return out


def test_the_popcount_intrinsic_counts_the_ones_of_a_uint64():
    words = np.concatenate([
        np.array([0, 1, 2**63, 2**64 - 1], np.uint64),
        RNG.integers(0, 2**64, 100, dtype=np.uint64),
    ])
    np.testing.assert_array_equal(_count_each(words), bits.popcount(words[:, None]))


def test_the_popcount_intrinsic_types_only_uint64():
    @numba.njit
    def count_signed(word):
        return kernels.popcount(word)

    with pytest.raises(numba.core.errors.TypingError):
        count_signed(np.int64(5))


def test_the_compiled_convolution_counts_bits_with_counting_instructions():
    x = kernels.pack_signs(RNG.standard_normal((1, 4, 4, 64)).astype(np.float32))
    kernels.binary_conv(x, kernels.pack_kernel(signs(3, 3, 64, 8)), 3, 3, 9 * 64)
    found = instructions.instructions(kernels.binary_conv)
    assert found, "popcount compiled to no bit-counting instruction"
    assert all(entry["count"] > 0 and entry["registers"] for entry in found.values())


def test_instruction_summary_puts_the_most_frequent_first():
    found = {
        "popcnt": {"count": 2, "registers": ["r64"]},
        "vpshufb": {"count": 12, "registers": ["ymm", "zmm"]},
    }
    assert instructions.summary(found).splitlines() == [
        "   vpshufb:  12 times, on ymm, zmm",
        "    popcnt:   2 times, on r64",
    ]
    assert instructions.summary({}) == "no bit-counting instruction found"
