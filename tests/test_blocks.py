"""The book's BNN read into blocks and run on bits (:mod:`bnnbook.engine.blocks`),
against Keras on a tiny Larq model with random weights and batch-norm statistics."""

from __future__ import annotations

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from bnnbook.engine import blocks

SIGN_KERNEL = dict(kernel_quantizer="ste_sign", use_bias=False)


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
    return model, blocks.blocks(model), images


def test_bit_level_pre_activations_equal_keras_layer_outputs(tiny):
    model, net, images = tiny
    quantized = [
        layer for layer in model.layers if isinstance(layer, lq.layers.QuantizerBase)
    ]
    probe = tf.keras.Model(model.inputs, [layer.output for layer in quantized])
    keras = probe.predict(images, verbose=0)
    ours = blocks.pre_activations(net, images)
    np.testing.assert_allclose(ours[0], keras[0], atol=1e-5)  # real input: float sums
    for mine, theirs in zip(ours[1:], keras[1:]):
        assert mine.dtype == np.int32
        np.testing.assert_array_equal(mine.reshape(theirs.shape), theirs)


def test_a_binary_first_layer_sees_the_signs_of_its_input():
    model = tiny_model(binary_input_first=True)
    images = np.random.default_rng(2).uniform(-1, 1, (8, 10, 10, 1)).astype(np.float32)
    first = tf.keras.Model(model.inputs, model.layers[0].output)(images).numpy()
    ours = blocks.pre_activations(blocks.blocks(model), images)[0]
    np.testing.assert_array_equal(ours, first)


def test_bit_level_and_float_logits_equal_keras(tiny):
    model, net, images = tiny
    keras_logits = tf.keras.Model(model.inputs, model.layers[-2].output)(images).numpy()
    np.testing.assert_allclose(
        blocks.forward(net, images, batch=20), keras_logits, atol=1e-4
    )
    np.testing.assert_allclose(
        blocks.forward_float(net, images), keras_logits, atol=1e-4
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
        blocks.blocks(real_second)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Dense is not supported"):
        blocks.blocks(model)
    scaled = tf.keras.Sequential(
        [
            tf.keras.Input((4,)),
            lq.layers.QuantDense(2, kernel_quantizer="ste_sign", use_bias=False),
            tf.keras.layers.BatchNormalization(),
        ]
    )
    with pytest.raises(ValueError, match="scale=False"):
        blocks.blocks(scaled)
