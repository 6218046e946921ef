"""Figures the chapters share: digit grids, training curves, confusion matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def digit_grid(
    images: np.ndarray,
    titles: Sequence[str],
    ncols: int = 8,
    suptitle: str | None = None,
) -> Figure:
    """Show images (N, 28, 28) or (N, 28, 28, 1) in a grid, each under its title."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    nrows = max(1, -(-len(images) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles):
        ax.imshow(image, cmap="gray_r")
        ax.set_title(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def training_curves(histories: Mapping[str, Mapping[str, Sequence[float]]]) -> Figure:
    """Accuracy and loss per epoch, train (solid) and validation (dashed), per model.

    ``histories`` maps a model's name to a Keras ``History.history`` dict with the keys
    ``accuracy``, ``val_accuracy``, ``loss`` and ``val_loss``.
    """
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for (name, history), color in zip(histories.items(), plt.cm.tab10.colors):
        epochs = np.arange(1, len(history["loss"]) + 1)
        for ax, key in ((acc_ax, "accuracy"), (loss_ax, "loss")):
            ax.plot(epochs, history[key], "-o", color=color, label=f"{name}, train")
            ax.plot(epochs, history[f"val_{key}"], "--s", color=color, label=f"{name}, validation")
    for ax, key in ((acc_ax, "accuracy"), (loss_ax, "loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(f"{key.capitalize()} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, title: str) -> Figure:
    """A 10x10 confusion matrix of counts: rows are true digits, columns predictions."""
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (labels, predictions), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    shown = ax.imshow(np.log1p(counts), cmap="Blues")
    for (row, col), count in np.ndenumerate(counts):
        if count:
            color = "white" if shown.norm(np.log1p(count)) > 0.6 else "black"
            ax.text(col, row, str(count), ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    fig.tight_layout()
    return fig
