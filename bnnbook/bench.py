"""Benchmark the book's models: size, speed and memory, each engine in a fresh process.

Run ``python -m bnnbook.bench`` for the same tables chapter 4 shows, as markdown (or
``--json``). It loads the trained models from the artifacts folder (training them if
missing, which needs MNIST: see ``bnnbook.data``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from bnnbook import ceiling, sweeps, timing

#: Images per call for the throughput figures.
BATCH = 256


@dataclasses.dataclass(frozen=True)
class Config:
    """One engine running one model file.

    Attributes:
        label: how tables name it.
        runtime: ``"keras"`` (an ``.h5`` file), ``"tflite"`` or ``"lce"`` (a
            flatbuffer), ``"onnx"`` (an ONNX file with a dynamic batch dimension).
        path: the model file.
        threads: threads the engine may use.
        indirect_bgemm, xnnpack: LCE kernel options (see ``runtimes.lce_predict``).
    """

    label: str
    runtime: str
    path: str
    threads: int
    indirect_bgemm: bool = False
    xnnpack: bool = False


def measure(config: Config, batch: int = BATCH, seed: int = 0) -> dict:
    """Latency (batch 1), throughput (``batch`` images per call) and peak memory of
    ``config`` in THIS process. Call it in a fresh process: see :func:`measure_fresh`.

    Returns a dict with the config's fields and: ``latency`` and ``batch_time``
    (:class:`timing.Timing` as dicts, seconds), ``images_per_second`` (median),
    ``rss_before_bytes`` (after imports, before the model is loaded) and
    ``peak_rss_bytes`` (the peak while loading the model and running inference).
    """
    import tensorflow as tf

    from bnnbook import runtimes

    if config.runtime == "keras":  # TensorFlow's pools must be sized before any op runs
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
        tf.config.threading.set_inter_op_parallelism_threads(config.threads)
        import larq  # noqa: F401  (registers Larq's layers, so load_model can read them)
    images = (
        np.random.default_rng(seed)
        .uniform(-1, 1, (batch, 28, 28, 1))
        .astype(np.float32)
    )
    timing.reset_peak_rss()
    rss_before = timing.rss_bytes()
    if config.runtime == "keras":
        model = tf.keras.models.load_model(config.path, compile=False)
        one = many = runtimes.keras_predict(model)
    elif config.runtime == "tflite":
        flatbuffer = Path(config.path).read_bytes()
        one = runtimes.tflite_predict(flatbuffer, 1, config.threads)
        many = runtimes.tflite_predict(flatbuffer, batch, config.threads)
    elif config.runtime == "lce":
        one = many = runtimes.lce_predict(
            Path(config.path).read_bytes(),
            config.threads,
            config.indirect_bgemm,
            config.xnnpack,
        )
    elif config.runtime == "onnx":
        one = many = runtimes.onnx_predict(
            Path(config.path).read_bytes(), config.threads
        )
    else:
        raise ValueError(
            f"unknown runtime {config.runtime!r}: use keras, tflite, lce or onnx"
        )
    latency = timing.time_calls(lambda: one(images[:1]), warmup=20, repeats=200)
    batch_time = timing.time_calls(lambda: many(images), warmup=2, repeats=10)
    return {
        **dataclasses.asdict(config),
        "latency": dataclasses.asdict(latency),
        "batch_time": dataclasses.asdict(batch_time),
        "images_per_second": batch / batch_time.median,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": timing.peak_rss_bytes(),
    }


def measure_fresh(config: Config, batch: int = BATCH) -> dict:
    """:func:`measure` in a new Python process, so that thread pools, caches and the
    memory peak belong to this engine alone."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bnnbook.bench",
            "--worker",
            json.dumps(dataclasses.asdict(config)),
            "--batch",
            str(batch),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"benchmark of {config.label!r} failed:\n{result.stderr[-3000:]}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def engine_configs(paths: dict[str, Path], threads: tuple[int, ...]) -> list[Config]:
    """The engines chapter 4 compares, for each thread count.

    ``paths`` maps ``float_keras``, ``binary_keras`` (``.h5``), ``float_tflite``,
    ``int8_tflite``, ``binary_lce`` (LCE, dense layers in float) and ``binary_lce_conv``
    (LCE, dense layers as binary convolutions) to files.
    """
    float_keras, binary_keras = str(paths["float_keras"]), str(paths["binary_keras"])
    lce, lce_conv = str(paths["binary_lce"]), str(paths["binary_lce_conv"])
    configs = []
    for n in threads:
        configs += [
            Config("Keras float", "keras", float_keras, n),
            Config("Keras binarized (QAT, simulated)", "keras", binary_keras, n),
            Config("TFLite float", "tflite", str(paths["float_tflite"]), n),
            Config("TFLite int8", "tflite", str(paths["int8_tflite"]), n),
            Config("LCE binarized, default kernels", "lce", lce_conv, n),
            Config("LCE binarized, indirect BGEMM", "lce", lce_conv, n, True),
            Config(
                "LCE binarized, indirect BGEMM + XNNPACK",
                "lce",
                lce_conv,
                n,
                True,
                True,
            ),
            Config(
                "LCE binarized (dense layers float), best kernels",
                "lce",
                lce,
                n,
                True,
                True,
            ),
        ]
    return configs


def speed_table(results: list[dict]) -> str:
    """A markdown table of latency and throughput, one row per measured config."""
    from bnnbook.plots import markdown_table  # matplotlib: not in the worker processes

    rows = [
        [
            "engine",
            "threads",
            "latency, batch 1 (µs): median [p10, p90]",
            f"throughput, batch {BATCH} (images/s)",
            "peak RSS (MiB)",
        ]
    ]
    for r in results:
        rows.append(
            [
                r["label"],
                r["threads"],
                timing.format_us(r["latency"]),
                f"{r['images_per_second']:,.0f}",
                f"{r['peak_rss_bytes'] / 2**20:,.0f}",
            ]
        )
    return markdown_table(rows)


def write_models(
    float_net, binary_net, representative: np.ndarray, directory: Path
) -> dict[str, Path]:
    """Write every form of both models that chapter 4 measures into ``directory``.

    Returns paths keyed as :func:`engine_configs` expects: the two Keras ``.h5`` files
    (latent float weights, no optimizer state), the float and int8 TFLite flatbuffers
    (int8 calibrated on ``representative`` training images), and the LCE flatbuffers of
    the binarized model as trained and with dense layers as convolutions.
    """
    from bnnbook import convert
    from bnnbook.artifacts import save_h5

    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "float_keras": directory / "float.h5",
        "binary_keras": directory / "binary.h5",
        "float_tflite": directory / "float.tflite",
        "int8_tflite": directory / "int8.tflite",
        "binary_lce": directory / "binary_lce.tflite",
        "binary_lce_conv": directory / "binary_lce_conv.tflite",
    }
    save_h5(float_net, paths["float_keras"])
    save_h5(binary_net, paths["binary_keras"])
    paths["float_tflite"].write_bytes(convert.to_tflite(float_net))
    paths["int8_tflite"].write_bytes(convert.to_int8(float_net, representative))
    paths["binary_lce"].write_bytes(convert.to_lce(binary_net))
    paths["binary_lce_conv"].write_bytes(
        convert.to_lce(convert.dense_as_conv(binary_net))
    )
    return paths


def _trained(directory: Path) -> tuple[object, object, np.ndarray]:
    """The chapters' saved float and binary models from ``directory`` (trained here only
    if missing there), and the training images that calibrate the int8 model."""
    from bnnbook.data import holdout, load_mnist, scale_to_pm1
    from bnnbook.models import binary_model, float_model
    from bnnbook.repro import SEED
    from bnnbook.artifacts import load_or_train
    from bnnbook.training import RECIPES

    (x_train, y_train), _ = load_mnist()
    train, validation = holdout(scale_to_pm1(x_train), y_train)
    nets = [
        load_or_train(name, build, RECIPES[name], train, validation, SEED, directory)[0]
        for name, build in (("float", float_model), ("binary", binary_model))
    ]
    return nets[0], nets[1], train[0]


def _positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{value} is not a positive whole number (use 1 or more)"
        )
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, validated before any work: bad input exits with code 2 and one
    line that names the argument and the problem."""
    parser = argparse.ArgumentParser(
        prog="python -m bnnbook.bench", description=__doc__
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON instead of markdown"
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        metavar="DIR",
        help="where the chapters saved the trained models (default: the "
        "book's book/artifacts, or $BNNBOOK_ARTIFACTS)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the deployed model files go (default: ARTIFACTS/bench)",
    )
    parser.add_argument(
        "--threads",
        type=_positive_int,
        nargs="+",
        metavar="N",
        default=[1, os.cpu_count() or 1],
        help="thread counts to measure",
    )
    parser.add_argument(
        "--batch",
        type=_positive_int,
        default=BATCH,
        metavar="N",
        help=f"images per throughput call (default {BATCH})",
    )
    parser.add_argument(
        "--widths",
        type=_positive_int,
        nargs="*",
        metavar="W",
        default=list(sweeps.WIDTHS),
        help="channel multipliers of the width sweep (default: "
        f"{' '.join(map(str, sweeps.WIDTHS))}; none to skip it)",
    )
    parser.add_argument(
        "--worker", help=argparse.SUPPRESS
    )  # internal: one Config as JSON
    args = parser.parse_args(argv)
    if args.worker:
        return args
    from bnnbook.artifacts import artifacts_dir  # imports TensorFlow: after the checks

    if args.artifacts is not None and not args.artifacts.is_dir():
        parser.error(
            f"--artifacts {args.artifacts}: no such folder (give the folder "
            "where chapters 2 and 3 saved float.h5 and binary.h5)"
        )
    args.artifacts = artifacts_dir(args.artifacts)
    args.out = args.out or args.artifacts / "bench"
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out}: exists and is not a folder")
    return args


def main(argv: list[str] | None = None) -> None:
    """Command line: print chapter 4's size, speed, memory and sweep tables."""
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(measure(Config(**json.loads(args.worker)), args.batch)))
        return

    with contextlib.redirect_stdout(sys.stderr):  # progress to stderr, tables to stdout
        print(f"artifacts: looking for float.h5 and binary.h5 in {args.artifacts}")
        paths = write_models(*_trained(args.artifacts), args.out)
    configs = engine_configs(paths, tuple(args.threads))
    widths = sweeps.width_sweep(args.out / "widths", tuple(args.widths))
    peak = ceiling.estimate(ceiling.cpu_flags())
    report = {
        "cpu": timing.cpu_model(),
        "sizes_bytes": {name: path.stat().st_size for name, path in paths.items()},
        "engines": [measure_fresh(config, args.batch) for config in configs],
        "conv_sweep": sweeps.conv_sweep(),
        "width_sweep": widths,
        "crossover_width": {
            other: sweeps.crossover(widths, other) for other in ("float", "int8")
        },
        "ceiling": {**dataclasses.asdict(peak), "flags": sorted(peak.flags)},
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"CPU: {report['cpu']}\n")
    print("| file | bytes |\n|---|---:|")
    for name, size in report["sizes_bytes"].items():
        print(f"| {paths[name].name} | {size:,} |")
    print(
        f"\n{speed_table(report['engines'])}\n\n"
        f"{sweeps.sweep_table(report['conv_sweep'])}"
    )
    if widths:
        print(f"\n{sweeps.width_table(widths)}\n")
        for other, width in report["crossover_width"].items():
            print(
                f"LCE faster than {other} TFLite from width: {width or 'never, up to'}"
                + ("" if width else f" {max(args.widths)}x")
            )
    print("\n" + "\n".join(peak.steps))


if __name__ == "__main__":
    main()
