"""Figures and tables the chapters share: digit grids, training curves, confusion
matrices, Markdown tables.

Figures are at most :data:`WIDTH` inches wide, so that the book shows them at about
their natural size and their text stays readable; several panels are stacked, not
placed in one long row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

#: Width of a full-column figure, inches.
WIDTH = 7.5


def digit_grid(
    images: np.ndarray,
    titles: Sequence[str],
    ncols: int = 8,
    suptitle: str | None = None,
) -> Figure:
    """Show images (N, 28, 28) or (N, 28, 28, 1) in a grid, each under its title.

    The grid is :data:`WIDTH` inches wide, whatever ``ncols``: choose fewer columns for
    longer titles.
    """
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    nrows = max(1, -(-len(images) // ncols))
    cell = WIDTH / ncols  # inches per image
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(WIDTH, (cell + 0.3) * nrows + 0.4 * bool(suptitle)),
        squeeze=False,
    )
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
    """Accuracy (top) and loss (bottom) per epoch, train (solid) and validation
    (dashed), one colour per model.

    ``histories`` maps a model's name to a Keras ``History.history`` dict with the keys
    ``accuracy``, ``val_accuracy``, ``loss`` and ``val_loss``.
    """
    fig, (acc_ax, loss_ax) = plt.subplots(
        2, 1, figsize=(WIDTH, 6), sharex=True, layout="constrained"
    )
    for (name, history), color in zip(histories.items(), plt.cm.tab10.colors):
        epochs = np.arange(1, len(history["loss"]) + 1)
        for ax, key in ((acc_ax, "accuracy"), (loss_ax, "loss")):
            ax.plot(epochs, history[key], "-o", color=color, label=f"{name}, train")
            ax.plot(
                epochs,
                history[f"val_{key}"],
                "--s",
                color=color,
                label=f"{name}, validation",
            )
    for ax, key in ((acc_ax, "accuracy"), (loss_ax, "loss")):
        ax.set_ylabel(key)
        ax.set_title(f"{key.capitalize()} per epoch")
        ax.grid(alpha=0.3)
    loss_ax.set_xlabel("epoch")
    loss_ax.xaxis.get_major_locator().set_params(integer=True)
    acc_ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
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
            ax.text(
                col, row, str(count), ha="center", va="center", fontsize=8, color=color
            )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def markdown_table(rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table of ``rows``, the first of them the header.

    Cells are written with ``str`` (line breaks become spaces). A column is
    right-aligned if every cell below the header is a number (``1,234``, ``-0.5``,
    ``98.7%``, ``2.5x``) or a placeholder (empty, ``-`` or ``?``). Show it with
    ``IPython.display.Markdown``: unlike printed text, the rendered table wraps to the
    page.
    """
    header, *body = [[str(cell).replace("\n", " ") for cell in row] for row in rows]

    def numeric(column: int) -> bool:
        return all(
            re.fullmatch(r"[+-]?[\d,.]+ ?[%x]?|[-?]?", row[column]) for row in body
        )

    align = ["---:" if body and numeric(i) else "---" for i in range(len(header))]
    return "\n".join(
        "| " + " | ".join(cells) + " |" for cells in [header, align, *body]
    )


def larq_summary(model) -> str:
    """The two tables of ``larq.models.summary(model)`` (per layer, then totals) as
    Markdown, which wraps to the page (Larq prints them as text 108 characters wide).

    The per-layer table leaves out Larq's output-shape column, to fit a book's column
    (Keras's ``model.summary()`` shows the shapes). Memory is in kB as Larq counts it
    (1 kB = 8 * 1024 bits); MACs are per image.
    """
    import larq as lq

    profile = lq.models.ModelProfile(model)
    header, *rows = lq.models.sanitize_table(profile.generate_table())
    header = [cell.replace("\nx 1", "") for cell in header]  # counts are in units of 1
    layers = [[row[0], row[1], *row[3:]] for row in [header, *rows]]  # no "Outputs"
    totals = lq.models.sanitize_table(profile.generate_summary())
    return (
        markdown_table(layers)
        + "\n\n"
        + markdown_table([[f"{model.name} summary", ""], *totals])
    )
