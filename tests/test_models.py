"""The model builders match Larq's MNIST guide and mirror each other."""

from __future__ import annotations

import contextlib
import io

import larq as lq
import numpy as np
import pytest

import tensorflow as tf

from bnnbook.models import architecture, binary_model, float_model


def _summary(model) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        lq.models.summary(model)
    return out.getvalue()


def test_binary_model_summary_matches_larq_guide():
    text = _summary(binary_model())
    assert "93.6 k" in text.split("Total params")[1].splitlines()[0]
    assert "13.19 KiB" in text.split("Model size")[1].splitlines()[0]


def test_every_layer_binarizes_kernels_and_all_but_the_first_binarize_inputs():
    quantized = [
        layer for layer in binary_model().layers if hasattr(layer, "kernel_quantizer")
    ]
    assert len(quantized) == 5
    assert all(
        layer.kernel_quantizer.__class__.__name__ == "SteSign" for layer in quantized
    )
    assert quantized[0].input_quantizer is None
    assert all(layer.input_quantizer is not None for layer in quantized[1:])


def test_float_twin_has_the_same_weight_shapes():
    binary, full = binary_model(), float_model()
    shapes = lambda model: [tuple(w.shape) for w in model.weights]  # noqa: E731
    assert shapes(binary) == shapes(full)


@pytest.mark.parametrize("build", [binary_model, float_model])
def test_outputs_are_probabilities(build):
    x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    probabilities = build()(x, training=False).numpy()
    assert probabilities.shape == (4, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (probabilities >= 0).all()


def test_architecture_ignores_names_but_not_settings():
    assert architecture(binary_model()) == architecture(binary_model())
    assert architecture(binary_model()) != architecture(float_model())
    other = tf.keras.Sequential(
        [
            tf.keras.Input((28, 28, 1)),
            *[
                (
                    type(layer).from_config({**layer.get_config(), "use_bias": True})
                    if i == 0
                    else type(layer).from_config(layer.get_config())
                )
                for i, layer in enumerate(binary_model().layers)
            ],
        ]
    )
    assert architecture(other) != architecture(binary_model())
