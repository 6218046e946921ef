"""Recipes, training, and artifacts that later chapters load instead of retraining."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from bnnbook.models import binary_model
from bnnbook.training import Recipe, fit, load, load_or_train, save

TINY = Recipe(epochs=1, batch_size=32, learning_rate=1e-2, schedule="cosine")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (96, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 96)
    return (x[:64], y[:64]), (x[64:], y[64:])


def test_schedules():
    assert Recipe(learning_rate=0.5).learning_rate_at(100) == 0.5
    cosine = Recipe(learning_rate=0.5, schedule="cosine").learning_rate_at(100)
    assert float(cosine(0)) == pytest.approx(0.5)
    assert float(cosine(50)) == pytest.approx(0.25)
    assert float(cosine(100)) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="unknown schedule 'step'"):
        Recipe(schedule="step").learning_rate_at(10)


def test_fit_returns_the_history_per_epoch(data):
    history = fit(binary_model(), TINY, *data)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == TINY.epochs for values in history.values())


def test_save_then_load_gives_the_same_model(data, tmp_path):
    model = binary_model()
    history = fit(model, TINY, *data)
    save("net", model, history, TINY, seed=7, directory=tmp_path)
    loaded, loaded_history = load("net", TINY, seed=7, directory=tmp_path)
    x = data[1][0]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded_history == history
    assert loaded.evaluate(*data[1], verbose=0)[1] == pytest.approx(model.evaluate(*data[1], verbose=0)[1])


def test_artifact_of_another_recipe_or_seed_is_not_used(data, tmp_path):
    model = binary_model()
    save("net", model, {"loss": [1.0]}, TINY, seed=7, directory=tmp_path)
    assert load("net", Recipe(), seed=7, directory=tmp_path) is None
    assert load("net", TINY, seed=8, directory=tmp_path) is None
    assert load("other", TINY, seed=7, directory=tmp_path) is None


def test_load_or_train_trains_once_then_loads(data, tmp_path, capsys):
    first, _ = load_or_train("net", binary_model, TINY, *data, seed=3, directory=tmp_path)
    assert "training it now" in capsys.readouterr().out
    second, _ = load_or_train("net", binary_model, TINY, *data, seed=3, directory=tmp_path)
    assert "loaded net" in capsys.readouterr().out
    for a, b in zip(first.weights, second.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(second, tf.keras.Model)
