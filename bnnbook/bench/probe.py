"""How fast this machine trains the book's BNN, to scale chapter times to the reference.

The book's execution budgets are stated for a reference machine, on which the
binarized network of :mod:`bnnbook.models` trains at about :data:`REFERENCE_RATE`
images per second (batch 64, TensorFlow's default threads). A test run measures the
same rate here, in a fresh process, before the chapters run, and reports each
chapter's time scaled to the reference:
``scaled seconds = seconds here * rate here / REFERENCE_RATE``.

This is a report for developers, not a timed test: a shared machine's rate moves by
tens of percent from run to run.

Run ``python -m bnnbook.bench.probe`` to see this machine's rate (``--json`` for JSON).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import numpy as np
import tensorflow as tf

from bnnbook.models import INPUT_SHAPE, NUM_CLASSES, binary_model
from bnnbook.training import Clock, batches

#: Training rate of the book's BNN on the reference machine (a 2-core Xeon, Cascade
#: Lake), in images per second at batch 64; the chapters' budgets are stated for it.
REFERENCE_RATE = 2800.0


@dataclasses.dataclass(frozen=True)
class Rate:
    """A training rate: the median of several timed epochs and their spread.

    Attributes:
        median: images per second, median over the timed epochs.
        low: images per second of the slowest timed epoch.
        high: images per second of the fastest timed epoch.
        images: images per epoch.
        batch_size: images per training step.
        epochs: timed epochs (after one untimed warm-up epoch).
    """

    median: float
    low: float
    high: float
    images: int
    batch_size: int
    epochs: int

    @property
    def speed(self) -> float:
        """This machine's speed relative to the reference: 2.0 trains twice as fast."""
        return self.median / REFERENCE_RATE

    def scaled(self, seconds: float) -> float:
        """``seconds`` spent here, as seconds on the reference machine."""
        return seconds * self.speed


def training_rate(
    images: int = 12_800, batch_size: int = 64, epochs: int = 3, seed: int = 0
) -> Rate:
    """Train a fresh :func:`bnnbook.models.binary_model` on ``images`` random images
    (one warm-up epoch, then ``epochs`` timed ones) and return its rate in images/s.

    Random images and labels, in a fixed order: the rate of a training step does not
    depend on what the pixels are, and the probe needs no data set.
    """
    tf.keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (images, *INPUT_SHAPE)).astype(np.float32)
    y = rng.integers(0, NUM_CLASSES, images)
    model = binary_model()
    model.compile(tf.keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    clock = Clock()
    model.fit(
        batches(x, y, batch_size), epochs=1 + epochs, callbacks=[clock], verbose=0
    )
    rates = images / np.array(clock.seconds[1:])
    return Rate(
        float(np.median(rates)),
        float(rates.min()),
        float(rates.max()),
        images,
        batch_size,
        epochs,
    )


def describe(rate: Rate) -> str:
    """One line for a report: the rate, its spread, and the factor to the reference."""
    return (
        f"the book's BNN trains at {rate.median:,.0f} images/s here (epochs of "
        f"{rate.images:,} random images, batch {rate.batch_size}: median of "
        f"{rate.epochs}, {rate.low:,.0f}-{rate.high:,.0f}); reference "
        f"{REFERENCE_RATE:,.0f} images/s, so this machine counts {rate.speed:.2f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bnnbook.bench.probe", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--json", action="store_true", help="print the rate as JSON")
    args = parser.parse_args(argv)
    rate = training_rate()
    if args.json:
        print(json.dumps({**dataclasses.asdict(rate), "speed": rate.speed}))
    else:
        print(describe(rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
