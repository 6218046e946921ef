"""The book's network at several widths, deployed three ways and timed: where binary wins.

At width ``w`` every layer but the last has ``w`` times the channels of Larq's guide
(see :func:`bnnbook.models.binary_model`). Each width is deployed as float TensorFlow
Lite, int8 TensorFlow Lite (full-integer post-training quantization) and LCE with its
best kernels (dense layers as binary convolutions, indirect BGEMM, XNNPACK), and each
engine is timed at batch 1 on one thread in a fresh process (:func:`bench.measure_fresh`).

Latency does not depend on the values of the weights, so the models are untrained:
random kernels, batch normalisation at its initial statistics.
"""

from __future__ import annotations

from pathlib import Path

import larq as lq
import numpy as np

from bnnbook import bench, convert
from bnnbook.models import INPUT_SHAPE, binary_model, float_model

#: Channel multipliers of the sweep: 32-64-64 channels at 1x, up to 256-512-512 at 8x.
WIDTHS = (1, 2, 4, 8)

#: The engines of the sweep: (key, label, runtime, LCE's indirect BGEMM and XNNPACK).
ENGINES = (
    ("float", "float TFLite", "tflite", False, False),
    ("int8", "int8 TFLite", "tflite", False, False),
    ("lce", "LCE binary, best kernels", "lce", True, True),
)


def width_sweep(directory: Path, widths: tuple[int, ...] = WIDTHS, seed: int = 0) -> list[dict]:
    """Deploy and time the network at each of ``widths``; files go to ``directory``.

    Returns one dict per width: ``width``; ``float_macs`` and ``binary_macs`` (MACs per
    image of the float model, and binary MACs of the binarized one, from Larq's
    profile); ``bytes`` (file size per engine key); ``latency`` (per engine key, the
    :class:`bnnbook.timing.Timing` of one image as a dict, seconds).
    """
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
            config = bench.Config(f"{label}, {width}x", runtime, str(path), 1,
                                  indirect_bgemm, xnnpack)
            row["latency"][key] = bench.measure_fresh(config, batch=1)["latency"]
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
    lines = [
        "| width | binary MACs | float TFLite µs | int8 TFLite µs | LCE µs | "
        "float / LCE | int8 / LCE | KiB: float, int8, LCE |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lat = row["latency"]
        cells = [f"{lat[key]['median'] * 1e6:,.0f} [{lat[key]['p10'] * 1e6:,.0f}, "
                 f"{lat[key]['p90'] * 1e6:,.0f}]" for key, *_ in ENGINES]
        ratios = [lat[other]["median"] / lat["lce"]["median"] for other in ("float", "int8")]
        sizes = ", ".join(f"{row['bytes'][key] / 1024:,.0f}" for key, *_ in ENGINES)
        lines.append(f"| {row['width']}x | {row['binary_macs'] / 1e6:,.1f} M | "
                     + " | ".join(cells)
                     + f" | {ratios[0]:.2f}x | {ratios[1]:.2f}x | {sizes} |")
    return "\n".join(lines)
