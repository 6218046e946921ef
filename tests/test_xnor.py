"""The compiled binary kernels and the book's engine, against plain NumPy arithmetic
and against the bit-level reference of :mod:`bnnbook.bitops` on a tiny Larq model."""

from __future__ import annotations

import numpy as np
import pytest
from test_bitops import tiny_model

from bnnbook import bitops, engine, xnor

RNG = np.random.default_rng(11)


def signs(*shape: int) -> np.ndarray:
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


@pytest.mark.parametrize(
    "c_in, c_out, kernel", [(1, 3, (3, 3)), (32, 64, (3, 3)), (100, 7, (2, 3))]
)
def test_binary_conv_equals_the_float_convolution_of_signs(c_in, c_out, kernel):
    x = RNG.standard_normal((3, 7, 6, c_in)).astype(np.float32)
    weights = signs(*kernel, c_in, c_out)
    expected = bitops.windows(np.where(x < 0, -1.0, 1.0), kernel) @ weights.reshape(
        -1, c_out
    )
    got = xnor.binary_conv(
        xnor.pack_signs(x), xnor.pack_kernel(weights), *kernel, weights[..., 0].size
    )
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)


def test_pack_signs_follows_ste_sign_zero_is_plus_one():
    x = np.zeros((1, 1, 1, 70), np.float32)
    x[..., [1, 64, 69]] = -0.5
    words = xnor.pack_signs(x)[0, 0, 0]
    assert words.shape == (2,)
    assert [int(w) for w in words] == [2, 1 + 2**5]


def test_float_conv_equals_windows_times_kernel():
    x = RNG.standard_normal((2, 9, 8, 3)).astype(np.float32)
    kernel = RNG.standard_normal((3, 2, 3, 5)).astype(np.float32)
    expected = bitops.windows(x, (3, 2)) @ kernel.reshape(-1, 5)
    np.testing.assert_allclose(xnor.float_conv(x, kernel), expected, atol=1e-5)


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_threshold_pool_pack_is_pooling_then_sign(size, dtype):
    pre = RNG.integers(-20, 20, (2, 7, 8, 70)).astype(dtype)
    threshold = RNG.integers(-5, 5, 70).astype(dtype)
    expected = bitops.pack(bitops.pool(pre < threshold, size, np.all))
    np.testing.assert_array_equal(
        xnor.threshold_pool_pack(pre, threshold, size), expected
    )


@pytest.fixture(scope="module", params=[False, True], ids=["real-first", "binary-first"])
def tiny(request):
    model = tiny_model(binary_input_first=request.param)
    images = RNG.uniform(-1, 1, (40, 10, 10, 1)).astype(np.float32)
    return bitops.blocks(model), engine.pack_model(model), images


def test_engine_pre_activations_equal_the_bit_level_reference(tiny):
    net, packed, images = tiny
    reference = bitops.pre_activations(net, images)
    ours = engine.pre_activations(packed, images)
    assert [a.dtype for a in ours[1:]] == [np.int32] * (len(ours) - 1)
    for mine, theirs in zip(ours, reference):
        np.testing.assert_array_equal(mine.reshape(theirs.shape), theirs)


@pytest.mark.parametrize("threads", [1, 2])
def test_engine_logits_equal_the_reference_on_any_thread_count(tiny, threads):
    net, packed, images = tiny
    np.testing.assert_array_equal(
        engine.predict(packed, images, threads), bitops.forward(net, images)
    )


def test_thresholds_are_integers_after_binary_layers(tiny):
    _, packed, _ = tiny
    for layer in packed.layers:
        expected = np.int32 if layer.binary_input else np.float64
        assert layer.threshold.dtype == expected


def test_saved_model_loads_equal_and_predicts_the_same(tiny, tmp_path):
    _, packed, images = tiny
    path = tmp_path / "tiny.bnn"
    size = engine.save(packed, path)
    assert size == path.stat().st_size > packed.weight_bytes
    loaded = engine.load(path)
    assert [l.binary_input for l in loaded.layers] == [
        l.binary_input for l in packed.layers
    ]
    np.testing.assert_array_equal(
        engine.predict(loaded, images), engine.predict(packed, images)
    )


def test_a_file_that_is_not_a_packed_model_is_refused_by_name(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a model")
    with pytest.raises(ValueError, match="notes.txt is not a packed model.*pack_model"):
        engine.load(path)


def test_images_without_a_channel_axis_are_refused_with_the_fix(tiny):
    _, packed, images = tiny
    with pytest.raises(ValueError, match=r"channels last.*images\[..., None\]"):
        engine.predict(packed, images[..., 0])
