"""The engine registry (:mod:`bnnbook.deploy.registry`): every key resolves, each engine
writes its file and predicts what Keras predicts, and configs are keyword-only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bnnbook.deploy import registry
from bnnbook.deploy.registry import ENGINES, Config, Engine, engine
from bnnbook.models import INPUT_SHAPE, binary_model, float_model

#: The registry's keys, as chapters and the bench command name them.
KEYS = ("keras", "float", "int8", "lce", "onnx", "bnnbook")
#: The engines that build their file from a Keras model (ONNX comes from PyTorch).
WRITTEN = ("keras", "float", "int8", "lce", "bnnbook")
IMAGES = np.random.default_rng(0).uniform(-1, 1, (8, *INPUT_SHAPE)).astype(np.float32)


def test_every_engine_key_resolves_to_its_engine():
    assert tuple(ENGINES) == KEYS
    for key in KEYS:
        assert engine(key) is ENGINES[key] and engine(key).key == key
    assert len({found.label for found in ENGINES.values()}) == len(KEYS)


@pytest.mark.parametrize("key", ["nope", "tflite", "LCE", ""])
def test_an_unknown_engine_is_refused_with_the_keys(key):
    with pytest.raises(ValueError) as error:
        engine(key)
    assert f"unknown engine {key!r}" in str(error.value)
    assert "keras, float, int8, lce, onnx, bnnbook" in str(error.value)


def test_a_config_takes_keyword_arguments_only():
    with pytest.raises(TypeError):
        Config("float", "float", "model.tflite", 1)  # the old positional form
    config = Config(label="float", engine="float", path="model.tflite", threads=1)
    assert (config.shape, config.indirect_bgemm, config.xnnpack) == (
        (28, 28, 1), False, False,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.threads = 2


def test_an_engines_config_has_its_fastest_options_unless_told_otherwise():
    lce = ENGINES["lce"]
    best = lce.config("m.tflite", threads=2)
    assert best == Config(label=lce.label, engine="lce", path="m.tflite", threads=2,
                          indirect_bgemm=True, xnnpack=True)
    plain = lce.config("m.tflite", label="LCE, XNNPACK off", xnnpack=False)
    assert (plain.label, plain.threads, plain.indirect_bgemm, plain.xnnpack) == (
        "LCE, XNNPACK off", 1, True, False,
    )
    assert ENGINES["bnnbook"].config("m.npz").engine == "bnnbook"


def test_available_says_whether_the_engines_package_imports():
    # the test environment has the book's whole stack
    assert all(ENGINES[key].available() for key in WRITTEN)
    missing = Engine("x", "X", ".x", "bnnbook_has_no_such_package", binary=False)
    assert not missing.available()


@pytest.fixture(scope="module")
def models():
    return float_model(), binary_model()


@pytest.fixture(scope="module")
def written(models, tmp_path_factory):
    stem = tmp_path_factory.mktemp("registry") / "net"
    return registry.write(WRITTEN, *models, stem, calibration=IMAGES)


def test_write_names_each_file_by_stem_key_and_suffix(written):
    assert set(written) == set(WRITTEN)
    for key, path in written.items():
        assert path.name == f"net_{key}{ENGINES[key].suffix}"
        assert path.stat().st_size > 0


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("key", ["keras", "float", "lce", "bnnbook"])
def test_each_engine_predicts_what_keras_predicts_for_its_model(models, written, key):
    """Each engine runs the model it deploys (:attr:`Engine.binary`): the float or the
    binarized one; the book's engine returns logits, the same probabilities."""
    found = ENGINES[key]
    predict = found.load(found.config(written[key]), batch=len(IMAGES))
    scores = np.asarray(predict(IMAGES))
    if key == "bnnbook":
        scores = _softmax(scores)
    full, binary = models
    expected = (binary if found.binary else full).predict(IMAGES, verbose=0)
    np.testing.assert_allclose(scores, expected, atol=1e-4)


def test_int8_needs_calibration_images_and_onnx_is_not_written_from_keras(
    models, tmp_path
):
    with pytest.raises(ValueError, match="calibration images"):
        ENGINES["int8"].write(models[0], tmp_path / "int8.tflite")
    with pytest.raises(NotImplementedError, match="ONNX Runtime files are not built"):
        ENGINES["onnx"].write(models[0], tmp_path / "net.onnx")
    with pytest.raises(ValueError, match="unknown engine 'tflite'"):
        registry.write(("tflite",), *models, tmp_path / "net")
