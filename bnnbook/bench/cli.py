"""Benchmark the book's models: size, speed and memory (chapter 4), and the width and
single-convolution sweeps against the CPU's ceiling (chapter 8).

Run ``python -m bnnbook.bench`` for the same tables chapters 4 and 8 show, as markdown
(or ``--json``). It loads the trained models from the artifacts folder (training them
if missing, which needs MNIST: see ``bnnbook.data``). Speeds are compared in
interleaved rounds of forked workers (:func:`bnnbook.bench.forked.compare`), memory in
a new Python per engine at batch 1 (:func:`bnnbook.bench.measure.measure_fresh`).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path

import numpy as np

from bnnbook import machine
from bnnbook.bench import ceiling, conv_sweep, forked, rounds, tables, width_sweep
from bnnbook.bench.measure import BATCH, measure_fresh
from bnnbook.deploy import forms


def _trained(directory: Path) -> tuple[object, object, np.ndarray]:
    """The chapters' saved float and binary models from ``directory`` (trained here only
    if missing there), and the training images that calibrate the int8 model."""
    from bnnbook.artifacts import load_or_train
    from bnnbook.data import prepared
    from bnnbook.models import binary_model, float_model
    from bnnbook.repro import SEED
    from bnnbook.training import RECIPES

    train, validation, _ = prepared()
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
        "--rounds",
        type=_positive_int,
        default=rounds.ROUNDS,
        metavar="N",
        help=f"interleaved rounds per speed comparison (default {rounds.ROUNDS})",
    )
    sweeps = (
        ("--widths", "W", width_sweep.WIDTHS, "channel multipliers of the width sweep"),
        ("--channels", "C", conv_sweep.CHANNELS,
         "channel counts of the single-convolution sweep"),
    )
    for flag, metavar, default, what in sweeps:
        parser.add_argument(
            flag, type=_positive_int, nargs="*", metavar=metavar, default=list(default),
            help=f"{what} (default: {' '.join(map(str, default))}; none to skip it)",
        )
    args = parser.parse_args(argv)
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
    """Command line: print chapter 4's size, speed and memory tables and chapter 8's
    sweep tables, then the ceiling's arithmetic (file sizes in bytes; every other
    table names its units: µs, images/s, MiB, MACs)."""
    args = parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):  # progress to stderr, tables to stdout
        print(f"artifacts: looking for float.h5 and binary.h5 in {args.artifacts}")
        paths = forms.write_forms(*_trained(args.artifacts), args.out)
    configs = forms.engine_configs(paths, tuple(args.threads))
    widths = width_sweep.width_sweep(
        args.out / "widths", tuple(args.widths), n_rounds=args.rounds
    )
    peak = ceiling.estimate(machine.cpu_flags())
    one_thread = [config for config in configs if config.threads == 1]
    report = {
        "cpu": machine.cpu_model(),
        "sizes_bytes": {name: path.stat().st_size for name, path in paths.items()},
        "engines": forked.compare(configs, args.rounds, batch=args.batch),
        "memory": [measure_fresh(config, batch=None) for config in one_thread],
        "conv_sweep": conv_sweep.conv_sweep(
            args.out / "conv", tuple(args.channels), n_rounds=args.rounds
        ),
        "width_sweep": widths,
        "crossover_width": {
            binary: {
                other: width_sweep.crossover(widths, binary, other) for other in rivals
            }
            for binary, rivals in width_sweep.rivals(widths).items()
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
        f"\n{tables.speed_table(report['engines'])}\n\n"
        f"Memory, batch 1, one thread, each engine in a new Python:\n\n"
        f"{tables.memory_table(report['memory'])}"
    )
    if args.channels:
        hz = machine.clock_hz()
        print(f"\n{conv_sweep.table(report['conv_sweep'], peak, hz)}")
    if widths:
        print(f"\n{width_sweep.width_table(widths)}\n")
        for binary, crossings in report["crossover_width"].items():
            print(f"\n{width_sweep.speedup_table(widths, binary)}\n")
            for other, width in crossings.items():
                found = f"{width}x" if width else f"never, up to {max(args.widths)}x"
                print(f"{binary} measurably faster than {other} from width: {found}")
    print("\n" + "\n".join(peak.steps))


if __name__ == "__main__":
    main()
