"""Every deployed form of the book's two trained models, and the engines that run them:
what chapter 4 builds step by step, in one call for the benchmark command
(:mod:`bnnbook.bench.cli`) and chapter 7.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnnbook.deploy.registry import ENGINES, Config

#: Each form: (file name, engine key, whether it is the binarized model).
FORMS = {
    "float_keras": ("float.h5", "keras", False),
    "binary_keras": ("binary.h5", "keras", True),
    "float_tflite": ("float.tflite", "float", False),
    "int8_tflite": ("int8.tflite", "int8", False),
    "binary_lce_conv": ("binary_lce_conv.tflite", "lce", True),
    "binary_bnnbook": ("binary_bnnbook.npz", "bnnbook", True),
}
#: LCE's file of the binarized model as trained, its dense layers left in float.
DENSE_IN_FLOAT = "binary_lce"


def write_forms(
    float_net, binary_net, calibration: np.ndarray, directory: Path
) -> dict[str, Path]:
    """Write every form of both models into ``directory``: the :data:`FORMS` (int8
    calibrated on ``calibration``, training images) and :data:`DENSE_IN_FLOAT`, those
    of engines this runtime lacks (LCE on Python 3.13) left out. Returns paths by
    form."""
    from bnnbook.deploy.convert import to_lce

    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for form, (name, key, binary) in FORMS.items():
        if ENGINES[key].available():
            model = binary_net if binary else float_net
            paths[form] = ENGINES[key].write(model, directory / name, calibration)
    if ENGINES["lce"].available():
        paths[DENSE_IN_FLOAT] = directory / "binary_lce.tflite"
        paths[DENSE_IN_FLOAT].write_bytes(to_lce(binary_net))
    return paths


def engine_configs(paths: dict[str, Path], threads: tuple[int, ...]) -> list[Config]:
    """The engines chapter 4 compares, for each thread count; the two Keras models,
    which simulate binarization in float32 and are the slowest to load, at the first
    thread count only; LCE's only where ``paths`` (from :func:`write_forms`) has its
    files."""
    keras = ENGINES["keras"]
    configs = [
        keras.config(paths["float_keras"], threads[0], "Keras float"),
        keras.config(paths["binary_keras"], threads[0],
                     "Keras binarized (QAT, simulated)"),
    ]
    lce, conv = ENGINES["lce"], paths.get("binary_lce_conv")
    for n in threads:
        configs += [
            ENGINES["float"].config(paths["float_tflite"], n, "TFLite float"),
            ENGINES["int8"].config(paths["int8_tflite"], n, "TFLite int8"),
        ]
        if conv is not None:
            configs += [
                lce.config(conv, n, "LCE binarized, default kernels",
                           indirect_bgemm=False, xnnpack=False),
                lce.config(conv, n, "LCE binarized, indirect BGEMM", xnnpack=False),
                lce.config(conv, n, "LCE binarized, indirect BGEMM + XNNPACK"),
                lce.config(paths[DENSE_IN_FLOAT], n,
                           "LCE binarized (dense layers float), best kernels"),
            ]
        configs.append(ENGINES["bnnbook"].config(paths["binary_bnnbook"], n,
                                                 "the book's engine (Numba)"))
    return configs
