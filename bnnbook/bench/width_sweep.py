"""Where binary wins on this CPU: the book's network at several widths, batch 1, one
thread, deployed as float and int8 TensorFlow Lite, as LCE with its best kernels and
on the book's own engine (:mod:`bnnbook.engine`). One 3x3 convolution alone is swept
in :mod:`bnnbook.bench.conv_sweep`.

It measures with the book's one timing method (:func:`bnnbook.bench.forked.compare`):
every engine and width once per round, the rounds interleaved, each time in a worker
forked for it alone. Each latency is the median of the rounds' medians with their
range; each speed-up is computed within each round, with its range.

Latency does not depend on the values of the weights, so the models are untrained:
random kernels, batch normalisation at its initial statistics.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from bnnbook.bench import forked, rounds
from bnnbook.bench.rounds import Ratio, Spread
from bnnbook.deploy.registry import ENGINES, available, write
from bnnbook.verdict import Verdict

#: Channel multipliers of the width sweep: 32-64-64 channels at 1x, 256-512-512 at 8x.
WIDTHS = (1, 2, 4, 8)

#: The engines of the width sweep, by registry key; a runtime without one of them
#: (LCE on Python 3.13) sweeps the others (:func:`engines`).
KEYS = ("float", "int8", "lce", "bnnbook")
#: The binary engines, and the engines each is compared with.
RIVALS = {"lce": ("float", "int8"), "bnnbook": ("float", "int8", "lce")}


def engines(rows: list[dict] | None = None) -> tuple[str, ...]:
    """The engines of :data:`KEYS` this runtime has, or those ``rows`` measured."""
    return tuple(rows[0]["latency"]) if rows else available(KEYS)


def rivals(rows: list[dict] | None = None) -> dict[str, tuple[str, ...]]:
    """:data:`RIVALS` among :func:`engines`."""
    present = engines(rows)
    return {binary: tuple(other for other in others if other in present)
            for binary, others in RIVALS.items() if binary in present}


def width_sweep(
    directory: Path,
    widths: tuple[int, ...] = WIDTHS,
    seed: int = 0,
    n_rounds: int = rounds.ROUNDS,
    repeats: int = 50,
) -> list[dict]:
    """Deploy and time the network at each of ``widths``; files go to ``directory``.

    Returns one dict per width: ``width``; ``float_macs`` and ``binary_macs`` (MACs per
    image of the float model, and binary MACs of the binarized one, from Larq's
    profile); ``bytes`` (file size in bytes, per engine key); ``latency`` (per engine
    key, a :class:`bnnbook.bench.rounds.Spread` of one image's time as a dict,
    seconds);
    ``speedup`` (per binary engine of :data:`RIVALS`, per rival: the rival's time over
    the binary engine's, per round, a :class:`bnnbook.bench.rounds.Ratio` as a dict).
    """
    import larq as lq  # TensorFlow and LCE load here, not when the command line starts

    from bnnbook.deploy.convert import dense_as_conv
    from bnnbook.models import INPUT_SHAPE, binary_model, float_model

    directory.mkdir(parents=True, exist_ok=True)
    keys = engines()
    rng = np.random.default_rng(seed)
    calibration = rng.uniform(-1, 1, (32, *INPUT_SHAPE)).astype(np.float32)
    rows, configs = [], {}
    for width in widths:
        full, binary = float_model(width), binary_model(width)
        paths = write(keys, full, binary, directory / f"width{width}", calibration)
        rows.append({
            "width": width,
            "float_macs": lq.models.ModelProfile(full).op_count("mac", 32),
            "binary_macs": lq.models.ModelProfile(dense_as_conv(binary)).op_count(
                "mac", 1
            ),
            "bytes": {key: path.stat().st_size for key, path in paths.items()},
        })
        for key in keys:
            configs[width, key] = ENGINES[key].config(
                paths[key], label=f"{ENGINES[key].label}, {width}x"
            )
    results = forked.compare(list(configs.values()), n_rounds, repeats=repeats)
    timed = {key: result["latency_rounds"] for key, result in zip(configs, results)}
    for row in rows:
        own = {key: timed[row["width"], key] for key in keys}
        row["latency"] = {key: asdict(rounds.spread(t)) for key, t in own.items()}
        row["speedup"] = {
            binary: {
                other: asdict(rounds.ratio(own[other], own[binary])) for other in others
            }
            for binary, others in rivals().items()
        }
    return rows


def crossover(rows: list[dict], binary: str, other: str) -> int | None:
    """The smallest width at which binary engine ``binary`` (``"lce"`` or
    ``"bnnbook"``) is measurably faster than engine ``other``
    (:func:`bnnbook.bench.rounds.verdict`), or ``None``."""
    for row in rows:
        speedup = Ratio(**row["speedup"][binary][other])
        if rounds.verdict(speedup.inverse()) is Verdict.FASTER:
            return row["width"]
    return None


def width_table(rows: list[dict]) -> str:
    """Two Markdown tables of :func:`width_sweep`, one below the other: per width, the
    binary MACs and each engine's latency (µs, median [lowest, highest round]); then
    each engine's file size (KiB), one labelled column per engine."""
    from bnnbook.plots import markdown_table

    keys = engines(rows)
    labels = [ENGINES[key].label for key in keys]
    latency = [["width", "binary MACs", *(f"{label} (µs)" for label in labels)]]
    size = [["width", *(f"{label} (KiB)" for label in labels)]]
    for row in rows:
        latency.append([
            f"{row['width']}x",
            f"{row['binary_macs'] / 1e6:,.1f} M",
            *(rounds.format_us(Spread(**row["latency"][key])) for key in keys),
        ])
        size.append([f"{row['width']}x",
                     *(f"{row['bytes'][key] / 1024:,.1f}" for key in keys)])
    return markdown_table(latency) + "\n\n" + markdown_table(size)


def speedup_table(rows: list[dict], binary: str) -> str:
    """A Markdown table: binary engine ``binary``'s speed-up over each of its rivals
    (their time over its, per round: median [range]: verdict), per width."""
    from bnnbook.plots import markdown_table

    others = rivals(rows)[binary]
    table = [["width", *(f"over {ENGINES[other].label}" for other in others)]]
    for row in rows:
        table.append([
            f"{row['width']}x",
            *(
                rounds.speedup_text(Ratio(**row["speedup"][binary][other]))
                for other in others
            ),
        ])
    return markdown_table(table)
