"""What chapter 4 deploys and compares: every form of the book's two trained models
(:func:`write_models`) and the engines that run them (:func:`engine_configs`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnnbook.engines import Config


def engine_configs(paths: dict[str, Path], threads: tuple[int, ...]) -> list[Config]:
    """The engines chapter 4 compares, for each thread count; the two Keras models,
    which simulate binarization in float32 and are the slowest to load, at the first
    thread count only.

    ``paths`` maps ``float_keras``, ``binary_keras`` (``.h5``), ``float_tflite``,
    ``int8_tflite``, ``binary_lce`` (LCE, dense layers in float), ``binary_lce_conv``
    (LCE, dense layers as binary convolutions) and ``binary_bnnbook`` (the book's
    engine's packed model) to files.
    """
    lce, lce_conv = str(paths["binary_lce"]), str(paths["binary_lce_conv"])
    ours = str(paths["binary_bnnbook"])
    best = "LCE binarized, indirect BGEMM + XNNPACK"
    configs = [
        Config("Keras float", "keras", str(paths["float_keras"]), threads[0]),
        Config(
            "Keras binarized (QAT, simulated)",
            "keras",
            str(paths["binary_keras"]),
            threads[0],
        ),
    ]
    for n in threads:
        configs += [
            Config("TFLite float", "tflite", str(paths["float_tflite"]), n),
            Config("TFLite int8", "tflite", str(paths["int8_tflite"]), n),
            Config("LCE binarized, default kernels", "lce", lce_conv, n),
            Config("LCE binarized, indirect BGEMM", "lce", lce_conv, n, True),
            Config(best, "lce", lce_conv, n, True, True),
            Config(
                "LCE binarized (dense layers float), best kernels",
                "lce",
                lce,
                n,
                True,
                True,
            ),
            Config("the book's engine (Numba)", "bnnbook", ours, n),
        ]
    return configs


def write_models(
    float_net, binary_net, representative: np.ndarray, directory: Path
) -> dict[str, Path]:
    """Write every form of both models that chapter 4 measures into ``directory``.

    Returns paths keyed as :func:`engine_configs` expects: the two Keras ``.h5`` files
    (latent float weights, no optimizer state), the float and int8 TFLite flatbuffers
    (int8 calibrated on ``representative`` training images), the LCE flatbuffers of
    the binarized model as trained and with dense layers as convolutions, and its
    packed model for the book's engine.
    """
    from bnnbook import convert, engine
    from bnnbook.artifacts import save_h5

    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "float_keras": directory / "float.h5",
        "binary_keras": directory / "binary.h5",
        "float_tflite": directory / "float.tflite",
        "int8_tflite": directory / "int8.tflite",
        "binary_lce": directory / "binary_lce.tflite",
        "binary_lce_conv": directory / "binary_lce_conv.tflite",
        "binary_bnnbook": directory / "binary_bnnbook.npz",
    }
    save_h5(float_net, paths["float_keras"])
    save_h5(binary_net, paths["binary_keras"])
    paths["float_tflite"].write_bytes(convert.to_tflite(float_net))
    paths["int8_tflite"].write_bytes(convert.to_int8(float_net, representative))
    paths["binary_lce"].write_bytes(convert.to_lce(binary_net))
    paths["binary_lce_conv"].write_bytes(
        convert.to_lce(convert.dense_as_conv(binary_net))
    )
    engine.save(engine.pack_model(binary_net), paths["binary_bnnbook"])
    return paths
