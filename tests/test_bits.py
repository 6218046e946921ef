"""Bit-packing, popcount, binary dot products, windows and pooling
(:mod:`bnnbook.engine.bits`), against plain arithmetic and against TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from bnnbook.engine import bits

RNG = np.random.default_rng(5)


def signs(*shape: int) -> np.ndarray:
    return RNG.choice(np.array([-1, 1], dtype=np.int64), size=shape)


def test_pack_puts_element_i_in_bit_i_and_pads_with_zeros():
    minus = np.zeros(70, dtype=bool)
    minus[[0, 3, 63, 64, 69]] = True
    words = bits.pack(minus)
    assert words.dtype == np.uint64 and words.shape == (2,)
    assert int(words[0]) == 1 + 2**3 + 2**63
    assert int(words[1]) == 1 + 2**5  # bits 64 and 69; bits 70-127 are padding, 0


@pytest.mark.parametrize("n", [1, 7, 63, 64, 65, 130, 576])
def test_pack_keeps_every_bit_and_adds_none(n):
    minus = RNG.random((5, n)) < 0.5
    words = bits.pack(minus)
    assert words.shape == (5, -(-n // 64))
    np.testing.assert_array_equal(bits.popcount(words), minus.sum(axis=1))
    np.testing.assert_array_equal(bits.popcount(bits.pack(np.ones(n, bool))), n)


def test_popcount_counts_the_ones_of_each_word():
    words = RNG.integers(0, 2**64, size=(200, 1), dtype=np.uint64)
    expected = [bin(int(w)).count("1") for w in words[:, 0]]
    np.testing.assert_array_equal(bits.popcount(words), expected)
    edges = np.array([[0], [2**64 - 1], [2**63]], dtype=np.uint64)
    np.testing.assert_array_equal(bits.popcount(edges), [0, 64, 1])


@pytest.mark.parametrize("n", [1, 9, 64, 100, 288, 577])
def test_binary_dot_equals_the_integer_dot_product(n):
    x, w = signs(300, n), signs(7, n)
    dots = bits.binary_dot(bits.pack(x < 0), bits.pack(w < 0), n)
    np.testing.assert_array_equal(dots, x @ w.T)


def test_windows_in_keras_kernel_order_make_a_convolution():
    maps = RNG.normal(size=(2, 6, 5, 3)).astype(np.float32)
    kernel = RNG.normal(size=(3, 2, 3, 4)).astype(np.float32)
    ours = bits.windows(maps, (3, 2)) @ kernel.reshape(-1, 4)
    keras = tf.nn.convolution(maps, kernel, padding="VALID").numpy()
    np.testing.assert_allclose(ours, keras, rtol=1e-5, atol=1e-5)


def test_pooling_bits_with_all_is_max_pooling_signs():
    values = signs(3, 5, 7, 2)
    pooled = bits.pool(values < 0, 2, np.all)
    keras = tf.keras.layers.MaxPooling2D(2)(values.astype(np.float32)).numpy()
    np.testing.assert_array_equal(np.where(pooled, -1, 1), keras)


def test_the_numpy_engine_imports_no_tensorflow():
    """Bits, kernels and the packed model run where TensorFlow is not loaded (the book's
    engine's worker processes): only :mod:`bnnbook.engine.blocks` reads Keras."""
    code = (
        "import sys\n"
        "import bnnbook.engine.bits, bnnbook.engine.kernels, bnnbook.engine.packed\n"
        "print(sorted(m for m in ('tensorflow', 'larq') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["[]"]
