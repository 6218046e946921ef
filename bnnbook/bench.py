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

from bnnbook import timing

#: Images per call for the throughput figures.
BATCH = 256


@dataclasses.dataclass(frozen=True)
class Config:
    """One engine running one model file.

    Attributes:
        label: how tables name it.
        runtime: ``"keras"`` (an ``.h5`` file), ``"tflite"`` or ``"lce"`` (a flatbuffer),
            ``"onnx"`` (an ONNX file with a dynamic batch dimension).
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
    import larq  # noqa: F401  (registers Larq's layers, so load_model can read them)
    import tensorflow as tf

    from bnnbook import runtimes

    if config.runtime == "keras":  # TensorFlow's pools must be sized before any op runs
        tf.config.threading.set_intra_op_parallelism_threads(config.threads)
        tf.config.threading.set_inter_op_parallelism_threads(config.threads)
    images = np.random.default_rng(seed).uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32)
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
            Path(config.path).read_bytes(), config.threads, config.indirect_bgemm, config.xnnpack
        )
    elif config.runtime == "onnx":
        one = many = runtimes.onnx_predict(Path(config.path).read_bytes(), config.threads)
    else:
        raise ValueError(f"unknown runtime {config.runtime!r}: use keras, tflite, lce or onnx")
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
        [sys.executable, "-m", "bnnbook.bench", "--worker", json.dumps(dataclasses.asdict(config)),
         "--batch", str(batch)],
        capture_output=True, text=True, env=env, timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark of {config.label!r} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def engine_configs(paths: dict[str, Path], threads: tuple[int, ...]) -> list[Config]:
    """The engines chapter 4 compares, for each thread count.

    ``paths`` maps ``float_keras``, ``binary_keras`` (``.h5``), ``float_tflite``,
    ``binary_lce`` (LCE, dense layers in float) and ``binary_lce_conv`` (LCE, dense
    layers as binary convolutions) to files.
    """
    configs = []
    for n in threads:
        configs += [
            Config("Keras float", "keras", str(paths["float_keras"]), n),
            Config("Keras binarized (QAT, simulated)", "keras", str(paths["binary_keras"]), n),
            Config("TFLite float", "tflite", str(paths["float_tflite"]), n),
            Config("LCE binarized, default kernels", "lce", str(paths["binary_lce_conv"]), n),
            Config("LCE binarized, indirect BGEMM", "lce", str(paths["binary_lce_conv"]), n, True),
            Config("LCE binarized, indirect BGEMM + XNNPACK", "lce", str(paths["binary_lce_conv"]), n, True, True),
            Config("LCE binarized (dense layers float), best kernels", "lce", str(paths["binary_lce"]), n, True, True),
        ]
    return configs


def speed_table(results: list[dict]) -> str:
    """A markdown table of latency and throughput, one row per measured config."""
    rows = [
        "| engine | threads | latency, batch 1 (µs): median [p10, p90] | throughput, batch "
        f"{BATCH} (images/s) | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lat = r["latency"]
        rows.append(
            f"| {r['label']} | {r['threads']} | {lat['median'] * 1e6:,.0f} "
            f"[{lat['p10'] * 1e6:,.0f}, {lat['p90'] * 1e6:,.0f}] | "
            f"{r['images_per_second']:,.0f} | {r['peak_rss_bytes'] / 2**20:,.0f} |"
        )
    return "\n".join(rows)


#: (channels, height = width) of the single-convolution sweep: feature maps where such
#: widths occur in real networks, as in the LCE paper's layer benchmarks.
SWEEP = ((32, 32), (64, 32), (128, 28), (256, 16), (512, 14), (1024, 7))


def conv_sweep(shapes: tuple[tuple[int, int], ...] = SWEEP, repeats: int = 30) -> list[dict]:
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
        binary = tf.keras.Sequential([
            tf.keras.Input(shape),
            lq.layers.QuantConv2D(channels, (3, 3), padding="same", pad_values=1.0,
                                  input_quantizer="ste_sign", kernel_quantizer="ste_sign",
                                  use_bias=False),
        ])
        full = tf.keras.Sequential([
            tf.keras.Input(shape), tf.keras.layers.Conv2D(channels, (3, 3), padding="same", use_bias=False)
        ])
        image = np.random.default_rng(0).uniform(-1, 1, (1, *shape)).astype(np.float32)
        lce_flatbuffer = convert.to_lce(binary)
        candidates = {
            "float_tflite": runtimes.tflite_predict(convert.to_tflite(full), 1, 1),
            "binary_lce_default": runtimes.lce_predict(lce_flatbuffer, 1),
            "binary_lce_best": runtimes.lce_predict(lce_flatbuffer, 1, indirect_bgemm=True, xnnpack=True),
        }
        row = {"channels": channels, "size": size}
        for name, predict in candidates.items():
            row[name] = timing.time_calls(lambda: predict(image), warmup=5, repeats=repeats).median
        row["speedup"] = row["float_tflite"] / row["binary_lce_best"]
        rows.append(row)
    return rows


def sweep_table(rows: list[dict]) -> str:
    """A markdown table of :func:`conv_sweep`'s results."""
    lines = [
        "| channels | map | float TFLite (µs) | binary LCE, default (µs) | binary LCE, best (µs) | speed-up (float / best) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['channels']} | {r['size']}x{r['size']} | {r['float_tflite'] * 1e6:,.0f} | "
            f"{r['binary_lce_default'] * 1e6:,.0f} | {r['binary_lce_best'] * 1e6:,.0f} | {r['speedup']:.2f}x |"
        )
    return "\n".join(lines)


def write_models(float_net, binary_net, directory: Path) -> dict[str, Path]:
    """Write every form of both models that chapter 4 measures into ``directory``.

    Returns paths keyed as :func:`engine_configs` expects: the two Keras ``.h5`` files
    (latent float weights, no optimizer state), the float TFLite flatbuffer, and the LCE
    flatbuffers of the binarized model as trained and with dense layers as convolutions.
    """
    from bnnbook import convert

    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "float_keras": directory / "float.h5",
        "binary_keras": directory / "binary.h5",
        "float_tflite": directory / "float.tflite",
        "binary_lce": directory / "binary_lce.tflite",
        "binary_lce_conv": directory / "binary_lce_conv.tflite",
    }
    float_net.save(paths["float_keras"], include_optimizer=False)
    binary_net.save(paths["binary_keras"], include_optimizer=False)
    paths["float_tflite"].write_bytes(convert.to_tflite(float_net))
    paths["binary_lce"].write_bytes(convert.to_lce(binary_net))
    paths["binary_lce_conv"].write_bytes(convert.to_lce(convert.dense_as_conv(binary_net)))
    return paths


def _trained(name: str, directory: Path):
    """The chapters' saved model ``name`` from ``directory``; trained here (MNIST
    needed) only if it is missing there."""
    from bnnbook.data import holdout, load_mnist, scale_to_pm1
    from bnnbook.models import binary_model, float_model
    from bnnbook.repro import SEED
    from bnnbook.training import RECIPES, load, train_and_save

    found = load(name, RECIPES[name], SEED, directory)
    if found is not None:
        return found[0]
    (x_train, y_train), _ = load_mnist()
    train, validation = holdout(scale_to_pm1(x_train), y_train)
    build = {"float": float_model, "binary": binary_model}[name]
    return train_and_save(name, build, RECIPES[name], train, validation, SEED, directory)[0]


def _positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number (use 1 or more)")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, validated before any work: bad input exits with code 2 and one
    line that names the argument and the problem."""
    parser = argparse.ArgumentParser(prog="python -m bnnbook.bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    parser.add_argument("--artifacts", type=Path, metavar="DIR",
                        help="where the chapters saved the trained models (default: the "
                             "book's book/artifacts, or $BNNBOOK_ARTIFACTS)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where the deployed model files go (default: ARTIFACTS/bench)")
    parser.add_argument("--threads", type=_positive_int, nargs="+", metavar="N",
                        default=[1, os.cpu_count() or 1], help="thread counts to measure")
    parser.add_argument("--batch", type=_positive_int, default=BATCH, metavar="N",
                        help=f"images per throughput call (default {BATCH})")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one Config as JSON
    args = parser.parse_args(argv)
    if args.worker:
        return args
    from bnnbook.training import artifacts_dir  # imports TensorFlow: after the checks

    if args.artifacts is not None and not args.artifacts.is_dir():
        parser.error(f"--artifacts {args.artifacts}: no such folder (give the folder "
                     "where chapters 2 and 3 saved float.h5 and binary.h5)")
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
        trained = _trained("float", args.artifacts), _trained("binary", args.artifacts)
    paths = write_models(*trained, args.out)
    report = {
        "cpu": timing.cpu_model(),
        "sizes_bytes": {name: path.stat().st_size for name, path in paths.items()},
        "engines": [measure_fresh(c, args.batch) for c in engine_configs(paths, tuple(args.threads))],
        "conv_sweep": conv_sweep(),
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"CPU: {report['cpu']}\n")
    print("| file | bytes |\n|---|---:|")
    for name, size in report["sizes_bytes"].items():
        print(f"| {paths[name].name} | {size:,} |")
    print(f"\n{speed_table(report['engines'])}\n\n{sweep_table(report['conv_sweep'])}")


if __name__ == "__main__":
    main()
