"""The shared figures fit the book's column, and Markdown tables are well formed."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bnnbook import plots  # noqa: E402
from bnnbook.models import binary_model  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("n, ncols", [(32, 8), (24, 6), (3, 8)])
def test_digit_grid_is_at_most_column_wide(n, ncols):
    images = np.zeros((n, 28, 28, 1))
    fig = plots.digit_grid(
        images, [str(i) for i in range(n)], ncols=ncols, suptitle="t"
    )
    width, height = fig.get_size_inches()
    assert width <= plots.WIDTH and height > 0
    assert len([ax for ax in fig.axes if ax.images]) == n


def test_training_curves_stacks_its_panels():
    history = {
        "accuracy": [0.9, 0.95],
        "val_accuracy": [0.92, 0.96],
        "loss": [0.3, 0.2],
        "val_loss": [0.25, 0.15],
    }
    fig = plots.training_curves({"a": history, "b": history})
    acc_ax, loss_ax = fig.axes
    assert fig.get_size_inches()[0] <= plots.WIDTH
    assert acc_ax.get_position().y0 > loss_ax.get_position().y1  # one above the other
    assert len(acc_ax.get_lines()) == 4  # train and validation per model


def test_confusion_matrix_fits_the_column():
    labels = np.arange(10).repeat(3)
    fig = plots.confusion_matrix(labels, labels[::-1], "t")
    assert fig.get_size_inches()[0] <= plots.WIDTH


def test_markdown_table_aligns_numbers_right_and_text_left():
    table = plots.markdown_table(
        [["name", "count\n(images)", "share"], ["a", "1,234", "98.5%"], ["b", 7, "n/a"]]
    )
    assert table.splitlines() == [
        "| name | count (images) | share |",
        "| --- | ---: | --- |",
        "| a | 1,234 | 98.5% |",
        "| b | 7 | n/a |",
    ]


def test_larq_summary_has_both_tables_and_the_totals():
    model = binary_model()
    text = plots.larq_summary(model)
    layers, totals = text.split("\n\n")
    assert len(layers.splitlines()) == 2 + len(model.layers) + 1  # header, rule, total
    assert "| Total |" in layers
    assert "| Model size | 13.19 KiB |" in totals
