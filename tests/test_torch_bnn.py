"""The PyTorch BNN (chapter 7): the STE equals Larq's, the binary layers train, the
network matches chapter 3's, export copies predict the same, training is seeded."""

from __future__ import annotations

import larq as lq
import numpy as np
import pytest
import tensorflow as tf
import torch
from torch import nn

from bnnbook import torch_bnn
from bnnbook.models import binary_model
from bnnbook.training import Recipe

POINTS = np.array(
    [-2.0, -1.0001, -1.0, -0.3, -1e-7, 0.0, 1e-7, 0.3, 1.0, 1.0001, 2.0],
    dtype=np.float32,
)


def test_ste_sign_forward_is_sign_with_zero_as_plus_one():
    values = torch_bnn.ste_sign(torch.tensor(POINTS)).numpy()
    np.testing.assert_array_equal(values, np.where(POINTS >= 0, 1.0, -1.0))


def test_ste_sign_passes_the_gradient_where_abs_x_is_at_most_one():
    x = torch.tensor(POINTS, requires_grad=True)
    upstream = torch.arange(1, len(POINTS) + 1, dtype=torch.float32)
    torch_bnn.ste_sign(x).backward(upstream)
    np.testing.assert_array_equal(
        x.grad.numpy(), upstream.numpy() * (np.abs(POINTS) <= 1)
    )


def test_ste_sign_equals_larqs_values_and_gradients():
    upstream = np.random.default_rng(0).normal(size=POINTS.shape).astype(np.float32)
    x = torch.tensor(POINTS, requires_grad=True)
    ours = torch_bnn.ste_sign(x)
    ours.backward(torch.tensor(upstream))
    x_tf = tf.constant(POINTS)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        theirs = lq.quantizers.ste_sign(x_tf)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy())
    grad = tape.gradient(theirs, x_tf, output_gradients=tf.constant(upstream))
    np.testing.assert_array_equal(x.grad.numpy(), grad.numpy())


@pytest.mark.parametrize(
    "layer, x",
    [
        (torch_bnn.BinaryConv2d(4, 6, 3, bias=False), torch.randn(8, 4, 7, 7)),
        (torch_bnn.BinaryLinear(20, 5, bias=False), torch.randn(8, 20)),
    ],
)
def test_binary_layers_compute_with_signs_and_train_their_latent_weights(layer, x):
    forward = torch.nn.functional.conv2d if x.ndim == 4 else torch.nn.functional.linear
    torch.testing.assert_close(layer(x), forward(x, torch.sign(layer.weight.detach())))
    before = layer.weight.detach().clone()
    layer(x).square().sum().backward()
    assert layer.weight.grad.abs().max() > 0
    torch.optim.Adam(layer.parameters(), lr=1e-2).step()
    assert (layer.weight.detach() != before).any()


def test_network_matches_chapter_3_layer_for_layer():
    torch.manual_seed(0)
    net = torch_bnn.binary_cnn()
    keras = [
        layer
        for layer in binary_model().layers
        if not isinstance(layer, tf.keras.layers.Activation)
    ]
    ours = [m for m in net if not isinstance(m, torch_bnn.SignActivation)]
    assert len(keras) == len(ours)
    for keras_layer, module in zip(keras, ours):
        expected = sum(int(np.prod(w.shape)) for w in keras_layer.trainable_weights)
        assert (
            sum(p.numel() for p in module.parameters() if p.requires_grad) == expected
        )
    # a sign before every binary layer but the first
    kinds = [type(m) for m in net]
    binary = (torch_bnn.BinaryConv2d, torch_bnn.BinaryLinear)
    layers = [i for i, kind in enumerate(kinds) if kind in binary]
    assert layers[0] == 0 and all(
        kinds[i - 1] is torch_bnn.SignActivation for i in layers[1:]
    )
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_initial_weights_are_glorot_uniform_as_in_keras():
    torch.manual_seed(0)
    for layer in torch_bnn.binary_cnn():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            receptive = layer.weight[0, 0].numel()
            fan_in, fan_out = (
                layer.weight.shape[1] * receptive,
                layer.weight.shape[0] * receptive,
            )
            bound = np.sqrt(6 / (fan_in + fan_out))
            assert 0.9 * bound < layer.weight.abs().max().item() <= bound


def test_shift_norm_has_keras_defaults_and_a_fixed_scale():
    norm = torch_bnn.shift_norm(8, images=True)
    assert (norm.eps, norm.momentum) == (1e-3, pytest.approx(0.01))
    assert not norm.weight.requires_grad and norm.bias.requires_grad


def test_clip_weights_clamps_latent_weights_to_plus_minus_one():
    layer = torch_bnn.BinaryLinear(3, 2, bias=False)
    layer.weight.data = torch.tensor([[-3.0, 0.5, 2.0], [1.0, -1.0, -0.2]])
    torch_bnn.clip_weights(nn.Sequential(layer))
    expected = torch.tensor([[-1.0, 0.5, 1.0], [1.0, -1.0, -0.2]])
    assert torch.equal(layer.weight.detach(), expected)


def test_to_tensor_puts_channels_first():
    images = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    tensor = torch_bnn.to_tensor(images)
    assert tensor.shape == (2, 3, 4, 5) and tensor.dtype == torch.float32
    assert tensor[1, 2, 3, 4] == images[1, 3, 4, 2]


def test_frozen_copy_holds_signs_and_predicts_the_same():
    torch.manual_seed(0)
    net = torch_bnn.binary_cnn()
    net.train()
    net(torch.randn(16, 1, 28, 28))  # move the batch-norm statistics off their defaults
    copy = torch_bnn.frozen(net)
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    np.testing.assert_array_equal(
        torch_bnn.predict(copy, images), torch_bnn.predict(net, images)
    )
    layers = [m for m in copy if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 5 and all(type(m) in (nn.Conv2d, nn.Linear) for m in layers)
    assert all(set(m.weight.unique().tolist()) <= {-1.0, 1.0} for m in layers)


@pytest.mark.parametrize("step", [0, 1, 50, 99, 100])
def test_cosine_factor_is_keras_cosine_decay(step):
    recipe = Recipe(learning_rate=1e-2, schedule="cosine")
    keras = float(recipe.learning_rate_at(100)(step))
    # Keras computes in float32: equal to float32 precision
    assert torch_bnn.lr_factor("cosine", step, 100) * 1e-2 == pytest.approx(
        keras, abs=1e-8
    )
    assert torch_bnn.lr_factor("constant", step, 100) == 1.0


def _toy_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose label is which half (top or bottom) is bright."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(-1, 0, (n, 28, 28, 1)).astype(np.float32)
    for image, label in zip(images, labels):
        image[14 * label : 14 * label + 14] += 1.5
    return images, labels


def test_training_is_seeded_learns_and_keeps_latent_weights_clipped():
    recipe = Recipe(epochs=3, batch_size=32, learning_rate=1e-2, schedule="cosine")
    train, validation = _toy_data(512, 0), _toy_data(64, 1)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        net = torch_bnn.binary_cnn()
        history = torch_bnn.train(net, recipe, train, validation, seed=0)
        runs.append((history, [p.detach().clone() for p in net.parameters()]))
    (first, weights), (second, again) = runs
    assert {k: v for k, v in first.items() if k != "seconds"} == {
        k: v for k, v in second.items() if k != "seconds"
    }
    assert all(torch.equal(a, b) for a, b in zip(weights, again))
    assert first["accuracy"][-1] >= 0.9 and first["val_accuracy"][-1] >= 0.9
    assert max(w.abs().max().item() for w in weights if w.ndim > 1) <= 1.0


def test_stopping_early_calls_back_after_each_epoch_run():
    recipe = Recipe(epochs=3, batch_size=32, learning_rate=1e-2, schedule="cosine")
    seen = []
    history = torch_bnn.train(
        torch_bnn.binary_cnn(), recipe, _toy_data(64, 0), _toy_data(16, 1), seed=0,
        epochs=2, on_epoch_end=lambda epoch, net: seen.append(epoch),
    )
    assert seen == [1, 2] and len(history["loss"]) == 2


def test_unknown_schedule_fails_before_training():
    with pytest.raises(ValueError, match="unknown schedule"):
        torch_bnn.train(
            torch_bnn.binary_cnn(),
            Recipe(schedule="step"),
            _toy_data(8, 0),
            _toy_data(8, 1),
            seed=0,
        )


@pytest.mark.parametrize("change", [{"optimizer": "bop"}, {"distillation": 0.5}])
def test_recipes_only_keras_trains_by_are_refused(change):
    recipe = Recipe(epochs=1, batch_size=32, **change)
    with pytest.raises(ValueError, match="trains with Adam on labels alone"):
        torch_bnn.train(torch_bnn.binary_cnn(), recipe, *[_toy_data(32, 0)] * 2, seed=0)
