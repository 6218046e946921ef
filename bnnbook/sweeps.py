"""Where binary wins on this CPU: two sweeps of batch-1 latency on one thread.

- :func:`conv_sweep`: one 3x3 convolution at growing channel counts, binary in LCE
  (its best kernels) against float in TensorFlow Lite.
- :func:`width_sweep`: the book's network at several widths, deployed as float and
  int8 TensorFlow Lite and as LCE with its best kernels.

Both measure with the book's one timing method (:func:`bnnbook.forked.compare`): every
engine of the sweep once per round, the rounds interleaved, each time in a worker
forked for it alone, batch 1, one thread. Each latency is the median of the rounds'
medians with their range; each speed-up is computed within each round, with its range.

Latency does not depend on the values of the weights, so the models are untrained:
random kernels, batch normalisation at its initial statistics.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from bnnbook import forked, rounds
from bnnbook.rounds import Ratio, Spread

#: (channels, height = width) of the single-convolution sweep: feature maps where such
#: widths occur in real networks, as in the LCE paper's layer benchmarks.
SWEEP = ((32, 32), (64, 32), (128, 28), (256, 16), (512, 14), (1024, 7))

#: Channel multipliers of the width sweep: 32-64-64 channels at 1x, 256-512-512 at 8x.
WIDTHS = (1, 2, 4, 8)

#: The engines of the width sweep: (key, label, runtime, LCE's indirect BGEMM and
#: XNNPACK).
ENGINES = (
    ("float", "float TFLite", "tflite", False, False),
    ("int8", "int8 TFLite", "tflite", False, False),
    ("lce", "LCE binary, best kernels", "lce", True, True),
)


def _timed(configs: dict, n_rounds: int, repeats: int, warmup: int) -> dict:
    """Each config's per-round median latencies (seconds), from one interleaved
    comparison of all of them; ``configs`` maps any key to an ``engines.Config``."""
    results = forked.compare(
        list(configs.values()), n_rounds, repeats=repeats, warmup=warmup
    )
    return {key: result["latency_rounds"] for key, result in zip(configs, results)}


def conv_sweep(
    directory: Path,
    shapes: tuple[tuple[int, int], ...] = SWEEP,
    n_rounds: int = rounds.ROUNDS,
    repeats: int = 10,
) -> list[dict]:
    """Batch-1 latency of one 3x3 convolution (``c`` in, ``c`` out, ``s x s``, "same"
    padding), binary in LCE against float in TensorFlow Lite, on one thread; the
    model files go to ``directory``. Each call takes milliseconds at these sizes, so
    each round times ``repeats`` calls after 3 warm-up ones.

    Returns one dict per shape: ``channels``, ``size``; ``latency``: a
    :class:`bnnbook.rounds.Spread` (dict, seconds) for ``float_tflite`` and
    ``binary_lce_best`` (LCE with indirect BGEMM + XNNPACK, its fastest kernels here;
    chapter 4 compares its default kernels on the whole network); ``speedup``:
    float's time over LCE's, per round (a Spread as a dict).
    """
    import larq as lq
    import tensorflow as tf

    from bnnbook import convert, engines

    directory.mkdir(parents=True, exist_ok=True)
    configs = {}
    for channels, size in shapes:
        shape = (size, size, channels)
        binary = tf.keras.Sequential([
            tf.keras.Input(shape),
            lq.layers.QuantConv2D(
                channels, (3, 3), padding="same", pad_values=1.0, use_bias=False,
                input_quantizer="ste_sign", kernel_quantizer="ste_sign",
                kernel_constraint="weight_clip",  # as trained; Larq warns without it
            ),
        ])
        full = tf.keras.Sequential([
            tf.keras.Input(shape),
            tf.keras.layers.Conv2D(channels, (3, 3), padding="same", use_bias=False),
        ])
        stem = directory / f"conv{channels}x{size}"
        float_path, lce_path = Path(f"{stem}_float.tflite"), Path(f"{stem}_lce.tflite")
        float_path.write_bytes(convert.to_tflite(full))
        lce_path.write_bytes(convert.to_lce(binary))
        label = f"{channels} channels"
        configs[channels, "float_tflite"] = engines.Config(
            f"float, {label}", "tflite", str(float_path), 1, shape=shape
        )
        configs[channels, "binary_lce_best"] = engines.Config(
            f"LCE best, {label}", "lce", str(lce_path), 1, True, True, shape=shape
        )
    timed = _timed(configs, n_rounds, repeats, warmup=3)
    rows = []
    for channels, size in shapes:
        own = {key: timed[c, key] for c, key in timed if c == channels}
        reference = own["float_tflite"]
        rows.append({
            "channels": channels,
            "size": size,
            "latency": {key: asdict(rounds.spread(t)) for key, t in own.items()},
            "speedup": asdict(rounds.ratio(reference, own["binary_lce_best"])),
        })
    return rows


def sweep_table(rows: list[dict]) -> str:
    """A markdown table of :func:`conv_sweep` (µs: median [lowest, highest round])."""
    from bnnbook.plots import markdown_table

    keys = ("float_tflite", "binary_lce_best")
    table = [[
        "channels", "map", "float TFLite (µs)", "LCE, best kernels (µs)",
        "LCE's speed-up over float",
    ]]
    for r in rows:
        table.append([
            r["channels"],
            f"{r['size']}x{r['size']}",
            *(rounds.format_us(Spread(**r["latency"][key])) for key in keys),
            rounds.speedup_text(Ratio(**r["speedup"])),
        ])
    return markdown_table(table)


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
    profile); ``bytes`` (file size per engine key); ``latency`` (per engine key, a
    :class:`bnnbook.rounds.Spread` of one image's time as a dict, seconds);
    ``speedup`` (``float`` and ``int8``: that engine's time over LCE's, per round).
    """
    import larq as lq  # TensorFlow and LCE load here, not when the command line starts

    from bnnbook import convert, engines
    from bnnbook.models import INPUT_SHAPE, binary_model, float_model

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    calibration = rng.uniform(-1, 1, (32, *INPUT_SHAPE)).astype(np.float32)
    rows, configs = [], {}
    for width in widths:
        full, binary = float_model(width), convert.dense_as_conv(binary_model(width))
        flatbuffers = {
            "float": convert.to_tflite(full),
            "int8": convert.to_int8(full, calibration),
            "lce": convert.to_lce(binary),
        }
        rows.append({
            "width": width,
            "float_macs": lq.models.ModelProfile(full).op_count("mac", 32),
            "binary_macs": lq.models.ModelProfile(binary).op_count("mac", 1),
            "bytes": {key: len(data) for key, data in flatbuffers.items()},
        })
        for key, label, runtime, indirect_bgemm, xnnpack in ENGINES:
            path = directory / f"width{width}_{key}.tflite"
            path.write_bytes(flatbuffers[key])
            configs[width, key] = engines.Config(
                f"{label}, {width}x", runtime, str(path), 1, indirect_bgemm, xnnpack
            )
    timed = _timed(configs, n_rounds, repeats, warmup=20)
    for row in rows:
        own = {key: timed[row["width"], key] for key, *_ in ENGINES}
        row["latency"] = {key: asdict(rounds.spread(t)) for key, t in own.items()}
        row["speedup"] = {
            other: asdict(rounds.ratio(own[other], own["lce"]))
            for other in ("float", "int8")
        }
    return rows


def crossover(rows: list[dict], other: str) -> int | None:
    """The smallest width at which LCE is measurably faster than engine ``other``
    (``"float"`` or ``"int8"``: :func:`bnnbook.rounds.verdict`), or ``None``."""
    for row in rows:
        if rounds.verdict(Ratio(**row["speedup"][other]).inverse()) == "faster":
            return row["width"]
    return None


def width_table(rows: list[dict]) -> str:
    """A Markdown table of :func:`width_sweep`: latency (µs, median [lowest, highest
    round]) and size (KiB) per engine, and LCE's speed-up over float and int8."""
    from bnnbook.plots import markdown_table

    table = [[
        "width", "binary MACs", "float TFLite µs", "int8 TFLite µs", "LCE µs",
        "LCE's speed-up over float", "over int8", "KiB: float, int8, LCE",
    ]]
    for row in rows:
        table.append([
            f"{row['width']}x",
            f"{row['binary_macs'] / 1e6:,.1f} M",
            *(rounds.format_us(Spread(**row["latency"][key])) for key, *_ in ENGINES),
            *(
                rounds.speedup_text(Ratio(**row["speedup"][other]))
                for other in ("float", "int8")
            ),
            ", ".join(f"{row['bytes'][key] / 1024:,.0f}" for key, *_ in ENGINES),
        ])
    return markdown_table(table)
