"""The quantization variants of chapter 6: built from the book's models, quantizers set
where each method says, counted and saved correctly."""

from __future__ import annotations

import larq as lq
import numpy as np
import pytest

import tensorflow as tf

from bnnbook import variants
from bnnbook.models import architecture, binary_model, float_model

ALL = (variants.BINARY, *variants.VARIANTS)
#: Binary kernel weights of the book's network: 3x3x1x32, 3x3x32x64, 3x3x64x64,
#: 576x64 and 64x10.
KERNEL_WEIGHTS = 288 + 18_432 + 36_864 + 36_864 + 640


def _quantized(model):
    return [
        layer for layer in model.layers if isinstance(layer, lq.layers.QuantizerBase)
    ]


def _name(quantizer) -> str | None:
    return None if quantizer is None else type(quantizer).__name__


def test_names_are_unique_and_not_the_chapters_artifacts():
    names = [v.name for v in ALL]
    assert len(set(names)) == len(names)
    assert "float" not in names[1:] and "binary" not in names[1:]


def test_binarynet_variant_is_the_book_binary_model():
    assert architecture(variants.BINARY.build()) == architecture(binary_model())


def test_requantize_without_quantizers_computes_like_the_float_model():
    full = float_model()
    rebuilt = variants.requantize(full, None, None, None)
    rebuilt.set_weights(full.get_weights())
    x = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(
        rebuilt(x, training=False), full(x, training=False), atol=1e-6
    )


@pytest.mark.parametrize("variant", ALL, ids=lambda v: v.name)
def test_quantizers_sit_where_the_method_says(variant):
    layers = _quantized(variant.build())
    assert len(layers) == 5
    assert layers[0].input_quantizer is None, "the first layer sees the real image"
    expected_input = _name(lq.quantizers.get(variant.input_quantizer))
    expected_kernel = _name(lq.quantizers.get(variant.kernel_quantizer))
    assert {_name(layer.input_quantizer) for layer in layers[1:]} == {expected_input}
    assert {_name(layer.kernel_quantizer) for layer in layers} == {expected_kernel}


def test_weights_only_keeps_relu_and_binary_models_do_not():
    relu = lambda m: sum(
        isinstance(l, tf.keras.layers.ReLU) for l in m.layers
    )  # noqa: E731,E741
    by_name = {v.name: v for v in ALL}
    assert relu(by_name["weights_only"].build()) == 4
    assert relu(by_name["xnor"].build()) == 0


@pytest.mark.parametrize(
    "name, expected",
    [
        ("binary", {1: KERNEL_WEIGHTS, 32: 468}),
        ("dorefa2", {2: KERNEL_WEIGHTS, 32: 468}),
        ("ternary", {2: KERNEL_WEIGHTS, 32: 468}),
        ("activations_only", {32: KERNEL_WEIGHTS + 468}),
    ],
)
def test_parameter_bits_and_packed_bytes(name, expected):
    model = {v.name: v for v in ALL}[name].build()
    assert variants.parameter_bits(model) == expected
    packed = sum(bits * count for bits, count in expected.items()) / 8
    assert variants.packed_bytes(model) == packed


@pytest.mark.parametrize("name", ["xnor", "dorefa2"])
def test_a_variant_survives_saving_and_loading(tmp_path, name):
    model = {v.name: v for v in ALL}[name].build()
    path = tmp_path / f"{name}.h5"
    model.save(path, include_optimizer=False, save_format="h5")
    loaded = tf.keras.models.load_model(path, compile=False)
    assert architecture(loaded) == architecture(model)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(
        loaded(x, training=False), model(x, training=False), atol=1e-6
    )


def test_dorefa_helper_gives_a_k_bit_quantizer():
    quantizer = lq.quantizers.get(variants.dorefa(3, "weights"))
    assert isinstance(quantizer, lq.quantizers.DoReFa) and quantizer.precision == 3
