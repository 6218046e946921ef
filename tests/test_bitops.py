"""Bit-packing, popcount and the bit-level forward pass, against plain arithmetic and
against Keras on a tiny Larq model with random weights and batch-norm statistics."""

from __future__ import annotations

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from bnnbook import bitops

RNG = np.random.default_rng(5)
SIGN_KERNEL = dict(kernel_quantizer="ste_sign", use_bias=False)


def signs(*shape: int) -> np.ndarray:
    return RNG.choice(np.array([-1, 1], dtype=np.int64), size=shape)


def test_pack_puts_element_i_in_bit_i_and_pads_with_zeros():
    bits = np.zeros(70, dtype=bool)
    bits[[0, 3, 63, 64, 69]] = True
    words = bitops.pack(bits)
    assert words.dtype == np.uint64 and words.shape == (2,)
    assert int(words[0]) == 1 + 2**3 + 2**63
    assert int(words[1]) == 1 + 2**5  # bits 64 and 69; bits 70-127 are padding, 0


@pytest.mark.parametrize("n", [1, 7, 63, 64, 65, 130, 576])
def test_pack_keeps_every_bit_and_adds_none(n):
    bits = RNG.random((5, n)) < 0.5
    words = bitops.pack(bits)
    assert words.shape == (5, -(-n // 64))
    np.testing.assert_array_equal(bitops.popcount(words), bits.sum(axis=1))
    np.testing.assert_array_equal(bitops.popcount(bitops.pack(np.ones(n, bool))), n)


def test_popcount_counts_the_ones_of_each_word():
    words = RNG.integers(0, 2**64, size=(200, 1), dtype=np.uint64)
    expected = [bin(int(w)).count("1") for w in words[:, 0]]
    np.testing.assert_array_equal(bitops.popcount(words), expected)
    edges = np.array([[0], [2**64 - 1], [2**63]], dtype=np.uint64)
    np.testing.assert_array_equal(bitops.popcount(edges), [0, 64, 1])


@pytest.mark.parametrize("n", [1, 9, 64, 100, 288, 577])
def test_binary_dot_equals_the_integer_dot_product(n):
    x, w = signs(300, n), signs(7, n)
    dots = bitops.binary_dot(bitops.pack(x < 0), bitops.pack(w < 0), n)
    np.testing.assert_array_equal(dots, x @ w.T)


def test_windows_in_keras_kernel_order_make_a_convolution():
    maps = RNG.normal(size=(2, 6, 5, 3)).astype(np.float32)
    kernel = RNG.normal(size=(3, 2, 3, 4)).astype(np.float32)
    ours = bitops.windows(maps, (3, 2)) @ kernel.reshape(-1, 4)
    keras = tf.nn.convolution(maps, kernel, padding="VALID").numpy()
    np.testing.assert_allclose(ours, keras, rtol=1e-5, atol=1e-5)


def test_pooling_bits_with_all_is_max_pooling_signs():
    values = signs(3, 5, 7, 2)
    pooled = bitops.pool(values < 0, 2, np.all)
    keras = tf.keras.layers.MaxPooling2D(2)(values.astype(np.float32)).numpy()
    np.testing.assert_array_equal(np.where(pooled, -1, 1), keras)


def tiny_model(binary_input_first: bool = False) -> tf.keras.Sequential:
    """The book's layer pattern at toy size, random latent weights and BN statistics."""
    binary = dict(
        input_quantizer="ste_sign", kernel_quantizer="ste_sign", use_bias=False
    )
    first = dict(kernel_quantizer="ste_sign", use_bias=False)
    if binary_input_first:
        first = binary
    model = tf.keras.Sequential(
        [
            tf.keras.Input((10, 10, 1)),
            lq.layers.QuantConv2D(4, (3, 3), **first),
            tf.keras.layers.MaxPooling2D((2, 2)),
            tf.keras.layers.BatchNormalization(scale=False),
            lq.layers.QuantConv2D(8, (2, 2), **binary),
            tf.keras.layers.BatchNormalization(scale=False),
            tf.keras.layers.Flatten(),
            lq.layers.QuantDense(6, **binary),
            tf.keras.layers.BatchNormalization(scale=False),
            lq.layers.QuantDense(3, **binary),
            tf.keras.layers.BatchNormalization(scale=False),
            tf.keras.layers.Activation("softmax"),
        ]
    )
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            channels = layer.beta.shape[0]
            layer.set_weights(
                [
                    rng.normal(size=channels),
                    rng.normal(size=channels) * 2,
                    rng.uniform(0.5, 4.0, size=channels),
                ]
            )
        elif layer.weights:
            layer.set_weights([rng.uniform(-1, 1, size=layer.kernel.shape)])
    return model


@pytest.fixture(scope="module")
def tiny():
    model = tiny_model()
    images = np.random.default_rng(1).uniform(-1, 1, (64, 10, 10, 1)).astype(np.float32)
    return model, bitops.blocks(model), images


def test_bit_level_pre_activations_equal_keras_layer_outputs(tiny):
    model, net, images = tiny
    quantized = [
        layer for layer in model.layers if isinstance(layer, lq.layers.QuantizerBase)
    ]
    probe = tf.keras.Model(model.inputs, [layer.output for layer in quantized])
    keras = probe.predict(images, verbose=0)
    ours = bitops.pre_activations(net, images)
    np.testing.assert_allclose(ours[0], keras[0], atol=1e-5)  # real input: float sums
    for mine, theirs in zip(ours[1:], keras[1:]):
        assert mine.dtype == np.int32
        np.testing.assert_array_equal(mine.reshape(theirs.shape), theirs)


def test_a_binary_first_layer_sees_the_signs_of_its_input():
    model = tiny_model(binary_input_first=True)
    images = np.random.default_rng(2).uniform(-1, 1, (8, 10, 10, 1)).astype(np.float32)
    first = tf.keras.Model(model.inputs, model.layers[0].output)(images).numpy()
    ours = bitops.pre_activations(bitops.blocks(model), images)[0]
    np.testing.assert_array_equal(ours, first)


def test_bit_level_and_float_logits_equal_keras(tiny):
    model, net, images = tiny
    keras_logits = tf.keras.Model(model.inputs, model.layers[-2].output)(images).numpy()
    np.testing.assert_allclose(
        bitops.forward(net, images, batch=20), keras_logits, atol=1e-4
    )
    np.testing.assert_allclose(
        bitops.forward_float(net, images), keras_logits, atol=1e-4
    )


def test_threshold_decides_the_sign_of_batch_normalisation(tiny):
    _, net, _ = tiny
    block = net[1]
    x = np.arange(-40, 41)[:, None]
    np.testing.assert_array_equal(x >= block.threshold, block.normalize(x) >= 0)


def test_blocks_reads_dense_kernels_as_convolutions_over_the_flattened_map(tiny):
    model, net, _ = tiny
    assert [b.kernel.shape for b in net] == [
        (3, 3, 1, 4),
        (2, 2, 4, 8),
        (3, 3, 8, 6),
        (1, 1, 6, 3),
    ]
    assert [b.pool for b in net] == [2, 1, 1, 1]
    assert [b.binary_input for b in net] == [False, True, True, True]
    assert [b.words.shape for b in net] == [(4, 1), (8, 1), (6, 2), (3, 1)]


def test_blocks_refuses_what_it_cannot_run_on_bits():
    real_second = tf.keras.Sequential(
        [
            tf.keras.Input((4, 4, 1)),
            lq.layers.QuantConv2D(2, 3, input_quantizer="ste_sign", **SIGN_KERNEL),
            lq.layers.QuantConv2D(2, 2, **SIGN_KERNEL),
        ]
    )
    with pytest.raises(ValueError, match="only the first layer has real input"):
        bitops.blocks(real_second)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Dense is not supported"):
        bitops.blocks(model)
    scaled = tf.keras.Sequential(
        [
            tf.keras.Input((4,)),
            lq.layers.QuantDense(2, kernel_quantizer="ste_sign", use_bias=False),
            tf.keras.layers.BatchNormalization(),
        ]
    )
    with pytest.raises(ValueError, match="scale=False"):
        bitops.blocks(scaled)
