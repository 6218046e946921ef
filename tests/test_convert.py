"""Conversion to TensorFlow Lite and LCE, and the flatbuffer inspection behind chapter
4."""

from __future__ import annotations

import larq as lq
import larq_compute_engine as lce
import numpy as np
import pytest
import tensorflow as tf

from bnnbook.data import prepared
from bnnbook.deploy.convert import (
    ConversionError,
    dense_as_conv,
    operators,
    to_int8,
    to_lce,
    to_tflite,
    weight_bytes,
)
from bnnbook.deploy.runtimes import tflite_predict
from bnnbook.models import NUM_CLASSES, binary_model, float_model
from bnnbook.training import Recipe, fit

X = np.random.default_rng(1).uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def trained_binary():
    model = binary_model()
    fit(
        model,
        Recipe(epochs=1, batch_size=32),
        (X, np.arange(64) % 10),
        (X[:8], np.arange(8)),
    )
    return model


def test_dense_as_conv_computes_the_same_function(trained_binary):
    conv_only = dense_as_conv(trained_binary)
    assert not any("Dense" in type(layer).__name__ for layer in conv_only.layers)
    # the dense layers' 1x1 output maps flattened back to (batch, classes)
    assert isinstance(conv_only.layers[-1], tf.keras.layers.Flatten)
    assert conv_only.output_shape == (None, NUM_CLASSES)
    np.testing.assert_allclose(
        conv_only.predict(X, verbose=0), trained_binary.predict(X, verbose=0), atol=1e-5
    )


def test_dense_as_conv_leaves_a_model_without_dense_layers_as_it_was():
    conv = tf.keras.Sequential([
        tf.keras.Input((6, 6, 8)),
        lq.layers.QuantConv2D(4, 3, input_quantizer="ste_sign",
                              kernel_quantizer="ste_sign", use_bias=False),
        tf.keras.layers.BatchNormalization(scale=False),
    ])
    same = dense_as_conv(conv)
    types = [type(layer) for layer in conv.layers]
    assert [type(layer) for layer in same.layers] == types
    assert same.output_shape == conv.output_shape == (None, 4, 4, 4)  # no Flatten
    maps = np.random.default_rng(2).uniform(-1, 1, (3, 6, 6, 8)).astype(np.float32)
    np.testing.assert_array_equal(same(maps).numpy(), conv(maps).numpy())


def test_lce_binarizes_convolutions_but_not_dense_layers(trained_binary):
    names = [op.name for op in operators(to_lce(trained_binary))]
    assert names.count("LceBconv2d") == 2  # the 2nd and 3rd convolutions
    assert names.count("FULLY_CONNECTED") == 2  # QuantDense stays float in LCE 0.16
    conv_only = [op.name for op in operators(to_lce(dense_as_conv(trained_binary)))]
    assert conv_only.count("LceBconv2d") == 4 and "FULLY_CONNECTED" not in conv_only


def test_bconv_weights_are_bit_packed(trained_binary):
    bconvs = [op for op in operators(to_lce(trained_binary)) if op.name == "LceBconv2d"]
    dtype, shape = bconvs[0].weights[0]
    assert dtype == "INT32" and shape == (
        64,
        3,
        3,
        1,
    )  # 32 input channels -> one int32 word


def test_converted_models_agree_with_keras(trained_binary):
    flatbuffer = to_lce(dense_as_conv(trained_binary))
    converted = lce.testing.Interpreter(flatbuffer).predict(X[:16])
    # Probabilities, not argmax: binary logits can tie, and ties break either way.
    np.testing.assert_allclose(
        converted, trained_binary.predict(X[:16], verbose=0), atol=1e-4
    )


def test_weight_bytes_counts_float_weights_at_four_bytes():
    model = float_model()
    tflite = to_tflite(model)
    kernels = sum(w.numpy().size for w in model.weights if "kernel" in w.name)
    assert kernels * 4 <= weight_bytes(tflite) <= len(tflite)


def test_lce_refuses_a_non_keras_2_model_clearly():
    with pytest.raises(
        ConversionError, match=r"converts tf.keras \(Keras 2\) models.*Fix"
    ):
        to_lce(object())


def test_float_tflite_computes_what_keras_computes():
    model = float_model()
    predict = tflite_predict(to_tflite(model), len(X), threads=1)
    np.testing.assert_allclose(predict(X), model.predict(X, verbose=0), atol=1e-5)


def test_int8_flatbuffer_is_full_integer_and_smaller():
    model = float_model()
    flatbuffer = to_int8(model, X[:16])
    weights = {dtype for op in operators(flatbuffer) for dtype, _ in op.weights}
    assert "INT8" in weights and "FLOAT32" not in weights
    # int8 weights: a quarter of float32's bytes, plus per-channel scales
    assert len(flatbuffer) < len(to_tflite(model)) / 3
    with pytest.raises(ValueError, match="representative images must be"):
        to_int8(model, X[0])
    with pytest.raises(ValueError, match="representative images must be"):
        to_int8(model, X[:0])


def test_int8_labels_agree_with_the_float_models_on_mnist(mnist_dir):
    """A float model trained a few steps on MNIST, quantized with training images as
    calibration: on test images, its int8 form gives the float model's label almost
    always (97 % when written) and probabilities within a few of the output's 256
    steps. Calibrated on blank or wrongly scaled images instead, it agreed on 77 %,
    its probabilities off by 4 to 5 points."""
    train, validation, test = prepared(mnist_dir)
    tf.keras.utils.set_random_seed(0)
    model = float_model()
    subset = (train[0][:2048], train[1][:2048])  # 32 steps at batch 64
    fit(model, Recipe(epochs=1, batch_size=64), subset,
        (validation[0][:256], validation[1][:256]))
    images = test[0][:500]
    expected = model.predict(images, verbose=0)
    int8 = tflite_predict(to_int8(model, train[0][:200]), len(images), threads=1)
    found = int8(images)
    agree = np.mean(found.argmax(axis=1) == expected.argmax(axis=1))
    assert agree >= 0.9, f"int8 gives the float model's label on {agree:.0%}"
    assert np.abs(found - expected).max() <= 4 / 256
