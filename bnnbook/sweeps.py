"""Where binary wins on this CPU: two sweeps of batch-1 latency on one thread.

- :func:`conv_sweep`: one 3x3 convolution at growing channel counts, binary in LCE
  versus float in TensorFlow Lite, timed side by side in this process.
- :func:`width_sweep`: the book's network at several widths, deployed three ways, each
  engine timed in a new process of its own.

At width ``w`` every layer but the last has ``w`` times the channels of Larq's guide
(see :func:`bnnbook.models.binary_model`). Each width is deployed as float TensorFlow
Lite, int8 TensorFlow Lite (full-integer post-training quantization) and LCE with its
best kernels (dense layers as binary convolutions, indirect BGEMM, XNNPACK), and each
engine is timed at batch 1 on one thread in a worker forked for it alone
(:func:`bnnbook.forked.latency`: a new process that starts with TensorFlow imported).

Latency does not depend on the values of the weights, so the models are untrained:
random kernels, batch normalisation at its initial statistics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnnbook import timing

#: (channels, height = width) of the single-convolution sweep: feature maps where such
#: widths occur in real networks, as in the LCE paper's layer benchmarks.
SWEEP = ((32, 32), (64, 32), (128, 28), (256, 16), (512, 14), (1024, 7))


def conv_sweep(
    shapes: tuple[tuple[int, int], ...] = SWEEP, repeats: int = 30
) -> list[dict]:
    """Batch-1 latency of one 3x3 convolution (``c`` in, ``c`` out, ``s x s``, "same"
    padding), binary in LCE versus float in TensorFlow Lite, both on one thread.

    Returns one dict per shape: ``channels``, ``size``, and median seconds for
    ``float_tflite``, ``binary_lce_default`` and ``binary_lce_best`` (indirect BGEMM +
    XNNPACK), plus ``speedup`` = float / best binary.
    """
    import larq as lq
    import tensorflow as tf

    from bnnbook import convert, runtimes

    rows = []
    for channels, size in shapes:
        shape = (size, size, channels)
        binary = tf.keras.Sequential(
            [
                tf.keras.Input(shape),
                lq.layers.QuantConv2D(
                    channels,
                    (3, 3),
                    padding="same",
                    pad_values=1.0,
                    input_quantizer="ste_sign",
                    kernel_quantizer="ste_sign",
                    use_bias=False,
                ),
            ]
        )
        full = tf.keras.Sequential(
            [
                tf.keras.Input(shape),
                tf.keras.layers.Conv2D(
                    channels, (3, 3), padding="same", use_bias=False
                ),
            ]
        )
        image = np.random.default_rng(0).uniform(-1, 1, (1, *shape)).astype(np.float32)
        lce_flatbuffer = convert.to_lce(binary)
        candidates = {
            "float_tflite": runtimes.tflite_predict(convert.to_tflite(full), 1, 1),
            "binary_lce_default": runtimes.lce_predict(lce_flatbuffer, 1),
            "binary_lce_best": runtimes.lce_predict(
                lce_flatbuffer, 1, indirect_bgemm=True, xnnpack=True
            ),
        }
        row = {"channels": channels, "size": size}
        for name, predict in candidates.items():
            row[name] = timing.time_calls(
                lambda: predict(image), warmup=5, repeats=repeats
            ).median
        row["speedup"] = row["float_tflite"] / row["binary_lce_best"]
        rows.append(row)
    return rows


def sweep_table(rows: list[dict]) -> str:
    """A markdown table of :func:`conv_sweep`'s results (medians, microseconds)."""
    from bnnbook.plots import markdown_table

    table = [
        [
            "channels",
            "map",
            "float TFLite (µs)",
            "binary LCE, default (µs)",
            "binary LCE, best (µs)",
            "speed-up (float / best)",
        ]
    ]
    for r in rows:
        times = (
            r[key] * 1e6
            for key in ("float_tflite", "binary_lce_default", "binary_lce_best")
        )
        table.append(
            [
                r["channels"],
                f"{r['size']}x{r['size']}",
                *(f"{us:,.0f}" for us in times),
                f"{r['speedup']:.2f}x",
            ]
        )
    return markdown_table(table)


#: Channel multipliers of the width sweep: 32-64-64 channels at 1x, 256-512-512 at 8x.
WIDTHS = (1, 2, 4, 8)

#: The engines of the sweep: (key, label, runtime, LCE's indirect BGEMM and XNNPACK).
ENGINES = (
    ("float", "float TFLite", "tflite", False, False),
    ("int8", "int8 TFLite", "tflite", False, False),
    ("lce", "LCE binary, best kernels", "lce", True, True),
)


def width_sweep(
    directory: Path, widths: tuple[int, ...] = WIDTHS, seed: int = 0
) -> list[dict]:
    """Deploy and time the network at each of ``widths``; files go to ``directory``.

    Returns one dict per width: ``width``; ``float_macs`` and ``binary_macs`` (MACs per
    image of the float model, and binary MACs of the binarized one, from Larq's
    profile); ``bytes`` (file size per engine key); ``latency`` (per engine key, the
    :class:`bnnbook.timing.Timing` of one image as a dict, seconds).
    """
    import larq as lq  # TensorFlow and LCE load here, not when the command line starts

    from bnnbook import bench, convert, forked
    from bnnbook.models import INPUT_SHAPE, binary_model, float_model

    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    calibration = rng.uniform(-1, 1, (32, *INPUT_SHAPE)).astype(np.float32)
    rows = []
    for width in widths:
        full, binary = float_model(width), convert.dense_as_conv(binary_model(width))
        flatbuffers = {
            "float": convert.to_tflite(full),
            "int8": convert.to_int8(full, calibration),
            "lce": convert.to_lce(binary),
        }
        row = {
            "width": width,
            "float_macs": lq.models.ModelProfile(full).op_count("mac", 32),
            "binary_macs": lq.models.ModelProfile(binary).op_count("mac", 1),
            "bytes": {key: len(data) for key, data in flatbuffers.items()},
            "latency": {},
        }
        for key, label, runtime, indirect_bgemm, xnnpack in ENGINES:
            path = directory / f"width{width}_{key}.tflite"
            path.write_bytes(flatbuffers[key])
            config = bench.Config(
                f"{label}, {width}x", runtime, str(path), 1, indirect_bgemm, xnnpack
            )
            row["latency"][key] = forked.latency(config)
        rows.append(row)
    return rows


def crossover(rows: list[dict], other: str) -> int | None:
    """The smallest width at which LCE's median latency beats engine ``other``'s
    (``"float"`` or ``"int8"``), or ``None`` if it never does in ``rows``."""
    for row in rows:
        if row["latency"]["lce"]["median"] < row["latency"][other]["median"]:
            return row["width"]
    return None


def width_table(rows: list[dict]) -> str:
    """A Markdown table of :func:`width_sweep`: latency (µs, median [p10, p90]) and
    size (KiB) per engine, and LCE's speed over float and int8."""
    from bnnbook.plots import markdown_table

    table = [
        [
            "width",
            "binary MACs",
            "float TFLite µs",
            "int8 TFLite µs",
            "LCE µs",
            "float / LCE",
            "int8 / LCE",
            "KiB: float, int8, LCE",
        ]
    ]
    for row in rows:
        lat = row["latency"]
        ratios = (
            lat[other]["median"] / lat["lce"]["median"] for other in ("float", "int8")
        )
        table.append(
            [
                f"{row['width']}x",
                f"{row['binary_macs'] / 1e6:,.1f} M",
                *(timing.format_us(lat[key]) for key, *_ in ENGINES),
                *(f"{ratio:.2f}x" for ratio in ratios),
                ", ".join(f"{row['bytes'][key] / 1024:,.0f}" for key, *_ in ENGINES),
            ]
        )
    return markdown_table(table)
