"""Changes to chapter 3's BNN: each edits what it names and nothing else."""

from __future__ import annotations

import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from bnnbook.advice import Change
from bnnbook.models import architecture, binary_model, float_model
from bnnbook.training import COSINE

BN = tf.keras.layers.BatchNormalization


def test_no_change_is_chapter_3s_model():
    change = Change("same", "no change", COSINE)
    assert architecture(change.build()) == architecture(binary_model())


def test_real_last_layer_has_float_weights_and_inputs_and_no_other_change():
    model = Change("real", "real last layer", COSINE, real_last_layer=True).build()
    last = [layer for layer in model.layers if isinstance(layer, lq.layers.QuantDense)]
    assert last[-1].input_quantizer is None and last[-1].kernel_quantizer is None
    assert last[-2].input_quantizer is not None  # the hidden layer stays binary
    profile = lq.models.ModelProfile(model)
    assert profile.weight_count(bitwidth=32) - lq.models.ModelProfile(
        binary_model()
    ).weight_count(bitwidth=32) == 64 * 10


def test_batch_norm_is_removed_after_the_named_weight_layers_only():
    model = Change("nobn", "no BN", COSINE, no_batch_norm_after=(1, 2)).build()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("BatchNormalization") == 3
    assert kinds[:6] == ["QuantConv2D", "MaxPooling2D", "BatchNormalization",
                         "QuantConv2D", "MaxPooling2D", "QuantConv2D"]  # fmt: skip


def test_batch_norm_momentum_is_set_on_every_batch_norm():
    model = Change("m", "momentum", COSINE, batch_norm_momentum=0.9).build()
    momenta = [layer.momentum for layer in model.layers if isinstance(layer, BN)]
    assert momenta == [0.9] * 5


def test_from_float_starts_at_the_float_twins_weights():
    twin = float_model()
    change = Change("f", "from float", COSINE, from_float=True)
    model = change.build(twin.get_weights())
    for ours, theirs in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="pass its weights"):
        change.build()


def test_width_multiplies_the_channels():
    model = Change("w", "2x", COSINE, width=2).build()
    assert model.layers[0].filters == 64


def test_key_holds_what_the_model_depends_on_beyond_its_recipe():
    change = Change("w", "a label", COSINE, width=2, batch_norm_momentum=0.9)
    assert change.key() == {
        "name": "w", "width": 2, "real_last_layer": False, "no_batch_norm_after": [],
        "batch_norm_momentum": 0.9, "from_float": False,
    }  # fmt: skip


def test_a_saved_change_loads_by_its_key(tmp_path):
    from bnnbook.artifacts import load, save

    change = Change("nobn", "no BN", COSINE, no_batch_norm_after=(1, 2))
    save(change.name, change.build(), {}, COSINE, 1, tmp_path, key=change.key())
    assert load(change.name, COSINE, 1, change.build, tmp_path, change.key())
