"""One 3x3 convolution at growing channel counts and a constant feature map: how many
MACs per second and per cycle each engine reaches, against its own peak.

The map stays :data:`MAP` x :data:`MAP` at every width, so that only the channel count
changes (a map that shrinks as channels grow would mix weight reuse into the width
effect). Every engine runs the same layer, ``c`` channels in, ``c`` out, "valid"
padding, followed by batch normalisation:

- float32 TensorFlow Lite (XNNPACK) and int8 TensorFlow Lite (post-training
  quantization);
- LCE's binary convolution with its best kernels (indirect BGEMM + XNNPACK);
- the book's engine (:mod:`bnnbook.engine`), XNOR-popcount compiled by Numba.

The engines are :data:`KEYS` of :data:`bnnbook.deploy.registry.ENGINES`.

Timing is the book's one method (:func:`bnnbook.bench.forked.compare`): every engine and
width once per round, rounds interleaved, batch 1, one thread, each time in a forked
worker. The layers are untrained: time does not depend on the weights' values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnnbook.bench import forked, rounds
from bnnbook.bench.ceiling import Ceiling
from bnnbook.deploy.registry import ENGINES, available, write

#: Channels in (and out) of the sweep's convolution.
CHANNELS = (64, 256, 1024)
#: The input map's height and width (the output's is 2 less: 3x3, "valid").
MAP = 12

#: The engines of the sweep, by registry key; a runtime without one of them (LCE on
#: Python 3.13) sweeps the others (:func:`engines`).
KEYS = ("float", "int8", "lce", "bnnbook")


def engines(rows: list[dict] | None = None) -> tuple[str, ...]:
    """The engines of :data:`KEYS` this runtime has, or those ``rows`` measured."""
    return tuple(rows[0]["latency"]) if rows else available(KEYS)


def macs(channels: int, size: int = MAP) -> int:
    """Multiply-accumulates of one image through the layer: output pixels x 3 x 3 x
    channels in x channels out."""
    return (size - 2) ** 2 * 9 * channels * channels


def write_models(directory: Path, channels: int, size: int = MAP) -> dict[str, Path]:
    """Write the layer at ``channels`` in every engine's format; paths by engine key."""
    import larq as lq
    import tensorflow as tf

    shape = (size, size, channels)
    binary = tf.keras.Sequential([
        tf.keras.Input(shape),
        lq.layers.QuantConv2D(
            channels, (3, 3), use_bias=False, input_quantizer="ste_sign",
            kernel_quantizer="ste_sign", kernel_constraint="weight_clip",
        ),
        tf.keras.layers.BatchNormalization(scale=False),
    ])
    full = tf.keras.Sequential([
        tf.keras.Input(shape),
        tf.keras.layers.Conv2D(channels, (3, 3), use_bias=False),
        tf.keras.layers.BatchNormalization(scale=False),
    ])
    calibration = np.random.default_rng(0).uniform(-1, 1, (8, *shape))
    stem = directory / f"conv{channels}x{size}"
    return write(engines(), full, binary, stem, calibration.astype(np.float32))


def conv_sweep(
    directory: Path,
    channels: tuple[int, ...] = CHANNELS,
    size: int = MAP,
    n_rounds: int = rounds.ROUNDS,
    repeats: int = 20,
) -> list[dict]:
    """Time the layer at each of ``channels`` on every engine (files in
    ``directory``); each round times ``repeats`` calls after 3 warm-up ones.

    Returns one dict per width: ``channels``, ``size``, ``macs`` (per image);
    ``latency`` per engine key (a :class:`bnnbook.bench.rounds.Spread` as a dict,
    seconds) and ``latency_rounds`` per engine key (each round's median, seconds).
    """
    directory.mkdir(parents=True, exist_ok=True)
    keys, configs = engines(), {}
    for c in channels:
        paths = write_models(directory, c, size)
        for key in keys:
            configs[c, key] = ENGINES[key].config(
                paths[key], label=f"{ENGINES[key].label}, {c} channels",
                shape=(size, size, c),
            )
    results = forked.compare(
        list(configs.values()), n_rounds, repeats=repeats, warmup=3
    )
    timed = dict(zip(configs, results))
    rows = []
    for c in channels:
        latency = {key: timed[c, key]["latency"] for key in keys}
        rows.append({
            "channels": c,
            "size": size,
            "macs": macs(c, size),
            "latency": latency,
            "latency_rounds": {key: timed[c, key]["latency_rounds"] for key in keys},
        })
    return rows


def rate(row: dict, key: str) -> float:
    """Engine ``key``'s MACs per second at one width of the sweep: the layer's MACs
    over its median latency."""
    return row["macs"] / row["latency"][key]["median"]


def peaks(ceiling: Ceiling) -> dict[str, float]:
    """Each engine's own peak, MACs per cycle: float against FMA, int8 against its
    dot products, both binary engines against the CPU's popcount ceiling."""
    binary = ceiling.binary_macs
    return {"float": ceiling.float_macs, "int8": ceiling.int8_macs, "lce": binary,
            "bnnbook": binary}


def table(rows: list[dict], ceiling: Ceiling, hz: float | None) -> str:
    """A Markdown table: per width, each engine's G MACs/s and, in brackets, its MACs
    per cycle as a percentage of its own peak (:func:`peaks`) at ``hz`` cycles per
    second (``?`` where the clock is unknown)."""
    from bnnbook.plots import markdown_table

    own, keys = peaks(ceiling), engines(rows)
    header = ["channels", "M MACs", *(f"{ENGINES[key].label}: G MACs/s (% of peak)"
                                       for key in keys)]
    lines = [header]
    for row in rows:
        cells = [row["channels"], f"{row['macs'] / 1e6:,.0f}"]
        for key in keys:
            per_second = rate(row, key)
            share = f"{per_second / hz / own[key]:.0%}" if hz else "?"
            cells.append(f"{per_second / 1e9:,.1f} ({share})")
        lines.append(cells)
    return markdown_table(lines)


def speedup(row: dict, slower: str, faster: str) -> rounds.Ratio:
    """``slower``'s time over ``faster``'s, per round, for one width of the sweep."""
    times = row["latency_rounds"]
    return rounds.ratio(times[slower], times[faster])

