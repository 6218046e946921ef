"""Conversion to TensorFlow Lite and LCE, and the flatbuffer inspection behind chapter
4."""

from __future__ import annotations

import numpy as np
import pytest
import larq_compute_engine as lce

from bnnbook.convert import (
    ConversionError,
    dense_as_conv,
    operators,
    to_lce,
    to_tflite,
    weight_bytes,
)
from bnnbook.models import binary_model, float_model
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
    np.testing.assert_allclose(
        conv_only.predict(X, verbose=0), trained_binary.predict(X, verbose=0), atol=1e-5
    )


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
