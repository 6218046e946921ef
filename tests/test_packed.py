"""The book's engine (:mod:`bnnbook.engine.packed`): a tiny Larq model packed into
bits, against the bit-level reference of :mod:`bnnbook.engine.blocks`; its file."""

from __future__ import annotations

import numpy as np
import pytest
from test_blocks import tiny_model

from bnnbook.engine import blocks, packed

RNG = np.random.default_rng(11)


@pytest.fixture(
    scope="module", params=[False, True], ids=["real-first", "binary-first"]
)
def tiny(request):
    model = tiny_model(binary_input_first=request.param)
    images = RNG.uniform(-1, 1, (40, 10, 10, 1)).astype(np.float32)
    return blocks.blocks(model), packed.pack_model(model), images


def test_engine_pre_activations_equal_the_bit_level_reference(tiny):
    net, model, images = tiny
    reference = blocks.pre_activations(net, images)
    ours = packed.pre_activations(model, images)
    assert [a.dtype for a in ours[1:]] == [np.int32] * (len(ours) - 1)
    for mine, theirs in zip(ours, reference):
        np.testing.assert_array_equal(mine.reshape(theirs.shape), theirs)


@pytest.mark.parametrize("threads", [1, 2])
def test_engine_logits_equal_the_reference_on_any_thread_count(tiny, threads):
    net, model, images = tiny
    np.testing.assert_array_equal(
        packed.predict(model, images, threads), blocks.forward(net, images)
    )


def test_thresholds_are_integers_after_binary_layers(tiny):
    _, model, _ = tiny
    for layer in model.layers:
        expected = np.int32 if layer.binary_input else np.float64
        assert layer.threshold.dtype == expected


def test_saved_model_loads_equal_and_predicts_the_same(tiny, tmp_path):
    _, model, images = tiny
    path = tmp_path / "tiny.bnn"
    size = packed.save(model, path)
    assert size == path.stat().st_size > model.weight_bytes
    loaded = packed.load(path)
    assert loaded.layers[0].binary_input is model.layers[0].binary_input  # a bool
    for mine, theirs in zip(loaded.layers, model.layers, strict=True):
        assert (mine.kh, mine.kw, mine.c_in, mine.c_out, mine.pool) == (
            theirs.kh, theirs.kw, theirs.c_in, theirs.c_out, theirs.pool
        )
        np.testing.assert_array_equal(mine.kernel, theirs.kernel)
        np.testing.assert_array_equal(mine.threshold, theirs.threshold)
    np.testing.assert_array_equal(
        packed.predict(loaded, images), packed.predict(model, images)
    )


def test_a_file_that_is_not_a_packed_model_is_refused_by_name(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a model")
    with pytest.raises(ValueError, match="notes.txt is not a packed model.*pack_model"):
        packed.load(path)


def test_images_without_a_channel_axis_are_refused_with_the_fix(tiny):
    _, model, images = tiny
    with pytest.raises(ValueError, match=r"channels last.*images\[..., None\]"):
        packed.predict(model, images[..., 0])
