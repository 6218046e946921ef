"""The book's binarized CNN in PyTorch (chapter 7): a straight-through sign, binary
layers, chapter 3's network, and a training loop with chapter 3's recipe.

Images come as in the other chapters, channels last, ``(N, 28, 28, 1)`` float32 in
[-1, 1] (``bnnbook.data.scale_to_pm1``); :func:`to_tensor` puts the channels first, as
PyTorch's convolutions expect. Only PyTorch and NumPy are imported here.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from bnnbook.progress import report

if TYPE_CHECKING:
    from bnnbook.training import Recipe

#: Keras's BatchNormalization defaults in PyTorch's terms: Keras keeps 0.99 of the
#: moving statistics per step, PyTorch's ``momentum`` is the weight of the new batch.
BN_EPSILON = 1e-3
BN_MOMENTUM = 1 - 0.99
#: Keras's Adam epsilon (PyTorch's default is 1e-8).
ADAM_EPSILON = 1e-7


class SteSign(torch.autograd.Function):
    """Sign with the clipped straight-through estimator (STE), as Larq's ``ste_sign``.

    Forward: ``q(x) = sign(x)``: +1 where ``x >= 0`` (so ``sign(0) = +1``), else -1.

    Backward: the true derivative of sign is 0 wherever it exists, so the STE uses
    ``dq/dx = 1`` where ``|x| <= 1`` and 0 where ``|x| > 1``: the incoming gradient
    passes straight through inside [-1, 1] and is zeroed outside (Larq's
    ``clip_value=1``).

    References: the straight-through estimator, Bengio, Léonard and Courville 2013,
    "Estimating or Propagating Gradients Through Stochastic Neurons for Conditional
    Computation"; its clipped form on weights and activations, BinaryNet:
    Courbariaux, Hubara, Soudry, El-Yaniv and Bengio 2016, "Binarized Neural
    Networks: Training Deep Neural Networks with Weights and Activations Constrained
    to +1 or -1" (arXiv:1602.02830; Hubara et al., NeurIPS 2016).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def ste_sign(x: torch.Tensor) -> torch.Tensor:
    """:class:`SteSign` applied to ``x``."""
    return SteSign.apply(x)


class SignActivation(nn.Module):
    """:func:`ste_sign` as a layer (Larq's ``input_quantizer``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ste_sign(x)


class BinaryConv2d(nn.Conv2d):
    """A convolution whose latent float weights are binarized by :func:`ste_sign` in
    every forward pass (Larq's ``kernel_quantizer``). Build it with ``bias=False``.

    Forward: the convolution with ``sign(W)``; backward: the gradient with respect to
    ``sign(W)`` reaches the latent ``W`` where ``|W| <= 1`` (:class:`SteSign`), which
    :func:`clip_weights` keeps true for every weight."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, ste_sign(self.weight), self.bias)


class BinaryLinear(nn.Linear):
    """A dense layer with :func:`ste_sign`-binarized latent weights: ``x @ sign(W).T``
    forward, the STE's gradient to ``W`` backward, as :class:`BinaryConv2d`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, ste_sign(self.weight), self.bias)


def shift_norm(channels: int, images: bool) -> nn.Module:
    """Batch normalisation with a learned shift and a scale fixed at 1, with Keras's
    epsilon and momentum: Keras's ``BatchNormalization(scale=False)``. ``images`` picks
    ``BatchNorm2d`` (feature maps) over ``BatchNorm1d`` (vectors)."""
    kind = nn.BatchNorm2d if images else nn.BatchNorm1d
    norm = kind(channels, eps=BN_EPSILON, momentum=BN_MOMENTUM)
    norm.weight.requires_grad_(False)  # the scale stays 1
    return norm


def book_cnn(
    conv: Callable[[int, int], nn.Module],
    linear: Callable[[int, int], nn.Module],
    sign: Callable[[], nn.Module],
) -> nn.Sequential:
    """Chapter 3's network (``bnnbook.models.binary_model``) from the given layers:
    ``conv(in, out)`` a 3x3 convolution, ``linear(in, out)`` a dense layer (both binary
    weights, no bias), ``sign()`` the activation binarizer. The first convolution sees
    the real-valued image. Weights start Glorot-uniform, as in Keras. Outputs logits."""
    net = nn.Sequential(
        conv(1, 32),
        nn.MaxPool2d(2),
        shift_norm(32, True),
        sign(),
        conv(32, 64),
        nn.MaxPool2d(2),
        shift_norm(64, True),
        sign(),
        conv(64, 64),
        shift_norm(64, True),
        nn.Flatten(),
        sign(),
        linear(3 * 3 * 64, 64),
        shift_norm(64, False),
        sign(),
        linear(64, 10),
        shift_norm(10, False),
    )
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
    return net


def binary_cnn() -> nn.Sequential:
    """The book's BNN with this module's STE layers (seed ``torch`` first)."""
    return book_cnn(
        lambda c_in, c_out: BinaryConv2d(c_in, c_out, 3, bias=False),
        lambda n_in, n_out: BinaryLinear(n_in, n_out, bias=False),
        SignActivation,
    )


def clip_weights(model: nn.Module) -> None:
    """Clip every convolution's and dense layer's latent weights to [-1, 1] in place
    (Larq's ``weight_clip``): beyond it the STE passes no gradient."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                layer.weight.clamp_(-1.0, 1.0)


def frozen(model: nn.Sequential) -> nn.Sequential:
    """An inference copy of ``model`` for export: each binary layer becomes a plain
    ``Conv2d`` / ``Linear`` holding the signs of its latent weights (+1 and -1 as
    float32), computed once here instead of in every forward pass."""
    layers = []
    for layer in model:
        plain = copy.deepcopy(layer)
        if isinstance(layer, (BinaryConv2d, BinaryLinear)):
            plain.__class__ = nn.Conv2d if isinstance(layer, nn.Conv2d) else nn.Linear
            plain.weight.data = ste_sign(layer.weight.detach())
        layers.append(plain)
    return nn.Sequential(*layers).eval()


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """Channels-last images ``(N, H, W, C)`` as a channels-first float32 tensor."""
    return torch.from_numpy(
        np.ascontiguousarray(images.transpose(0, 3, 1, 2), np.float32)
    )


def predict(model: nn.Module, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Logits ``(N, 10)`` of ``model`` in inference mode for channels-last images."""
    model.eval()
    x = to_tensor(images)
    with torch.inference_mode():
        return torch.cat(
            [model(x[i : i + batch]) for i in range(0, len(x), batch)]
        ).numpy()


def evaluate(
    model: nn.Module, images: np.ndarray, labels: np.ndarray
) -> tuple[float, float]:
    """``(loss, accuracy)``: mean cross-entropy (nats) and share of correct labels."""
    logits = torch.from_numpy(predict(model, images))
    targets = torch.from_numpy(labels.astype(np.int64))
    loss = F.cross_entropy(logits, targets).item()
    return loss, float((logits.argmax(1) == targets).float().mean())


def lr_factor(schedule: str, step: int, total: int) -> float:
    """The learning rate at ``step`` of ``total`` steps as a share of the initial one:
    1 for ``"constant"``; for ``"cosine"``, Keras's ``CosineDecay`` to 0,
    ``(1 + cos(pi * step / total)) / 2``."""
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    raise ValueError(f"unknown schedule {schedule!r}: use 'constant' or 'cosine'")


def train(
    model: nn.Module,
    recipe: Recipe,
    train_split: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray],
    seed: int,
    epochs: int | None = None,
    on_epoch_end: Callable[[int, nn.Module], None] | None = None,
    name: str = "PyTorch",
) -> dict[str, list[float]]:
    """Train ``model`` by ``recipe`` as Keras would: Adam (Keras's epsilon), the step
    size scaled by :func:`lr_factor` at every step, shuffled batches (the shuffle
    seeded by ``seed``), latent weights clipped to [-1, 1] after every step.

    ``epochs`` stops after that many of the recipe's epochs, on the recipe's own
    schedule (as :func:`bnnbook.training.fit`); ``on_epoch_end(epoch, model)`` is
    called after each epoch (1, 2, ...), for example to keep a copy of the weights.
    Each epoch prints one line headed ``name`` as it ends.

    Returns per-epoch ``loss`` and ``accuracy`` (on the training batches, as Keras
    reports them), ``val_loss``, ``val_accuracy``, and ``seconds`` (wall time of the
    epoch, validation included).
    """
    x, y = to_tensor(train_split[0]), torch.from_numpy(train_split[1].astype(np.int64))
    total = recipe.epochs * math.ceil(len(x) / recipe.batch_size)
    lr_factor(recipe.schedule, 0, total)  # an unknown schedule fails before training
    if (recipe.optimizer, recipe.distillation) != ("adam", 0.0):
        raise ValueError(
            f"{recipe}: the PyTorch twin trains with Adam on labels alone; use "
            "optimizer='adam' and distillation=0, or Keras (bnnbook.training.fit)"
        )
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=recipe.learning_rate, eps=ADAM_EPSILON)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(recipe.schedule, step, total)
    )
    shuffle = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {
        key: [] for key in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")
    }
    for epoch in range(1, recipe.epochs_to_run(epochs) + 1):
        start, loss_sum, correct = time.perf_counter(), 0.0, 0
        model.train()
        order = torch.randperm(len(x), generator=shuffle)
        for first in range(0, len(x), recipe.batch_size):
            batch = order[first : first + recipe.batch_size]
            logits = model(x[batch])
            loss = F.cross_entropy(logits, y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            clip_weights(model)
            loss_sum += loss.item() * len(batch)
            correct += int((logits.argmax(1) == y[batch]).sum())
        val_loss, val_accuracy = evaluate(model, *validation)
        for key, value in (
            ("loss", loss_sum / len(x)),
            ("accuracy", correct / len(x)),
            ("val_loss", val_loss),
            ("val_accuracy", val_accuracy),
            ("seconds", time.perf_counter() - start),
        ):
            history[key].append(value)
        last = {key: values[-1] for key, values in history.items()}
        report(name, epoch, recipe.epochs, last, last["seconds"])  # of the whole recipe
        if on_epoch_end is not None:
            on_epoch_end(epoch, model)
    return history
