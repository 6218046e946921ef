"""Recipes, training, and artifacts that later chapters load instead of retraining."""

from __future__ import annotations

import json
import types
import warnings

import h5py
import larq as lq
import numpy as np
import pytest
import tensorflow as tf

from bnnbook import training
from bnnbook.artifacts import load, load_or_train, save, save_h5
from bnnbook.models import binary_model
from bnnbook.training import Clock, EpochLog, Recipe, StepClock, batches, fit

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


def test_fit_prints_a_line_per_epoch_and_returns_the_history(data, capsys):
    two = Recipe(epochs=2, batch_size=32)
    clock = StepClock()
    history = fit(binary_model(), two, *data, callbacks=[_Logs(), clock], name="tiny")
    steps = 2 * len(data[0][0]) // 32  # 2 epochs of 64 examples at batch 32
    assert len(clock.step_ends) == steps and len(clock.seconds) == 2
    assert all(b > a for a, b in zip(clock.step_ends, clock.step_ends[1:]))
    keys = {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "extra"}
    assert set(history) == keys
    assert all(len(values) == 2 for values in history.values())
    assert history["extra"] == [1.0, 2.0]  # what a callback adds to the logs is kept
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines):
        seconds = history["seconds"][epoch]
        assert line.startswith(f"tiny  epoch {epoch + 1}/2  loss ")
        assert f"validation {history['val_accuracy'][epoch]:.2%}" in line
        assert line.endswith(f"  {seconds:.1f} s") and seconds > 0


def test_step_clock_keeps_each_epochs_seconds_and_each_steps_end(monkeypatch):
    ticks = iter([10.0, 11.0, 13.0, 14.5, 20.0, 20.5, 22.0])
    monkeypatch.setattr(
        training, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks))
    )
    clock = StepClock()
    clock.on_epoch_begin(0)  # 10
    clock.on_train_batch_end(0)  # 11
    clock.on_train_batch_end(1)  # 13
    clock.on_epoch_end(0)  # 14.5
    clock.on_epoch_begin(1)  # 20: time between epochs (validation) is not counted
    clock.on_train_batch_end(0)  # 20.5
    clock.on_epoch_end(1)  # 22
    assert clock.seconds == [4.5, 2.0]
    assert clock.step_ends == [11.0, 13.0, 20.5]
    assert issubclass(EpochLog, Clock)  # fit's own log keeps the same seconds


def test_an_epoch_clock_has_no_per_step_hook():
    """Keras calls back into Python after every step only for a callback that
    overrides a batch hook: the epoch clocks (fit's log, the probe) must not."""
    assert not Clock()._implements_train_batch_hooks()
    assert not EpochLog("tiny", 1)._implements_train_batch_hooks()
    assert StepClock()._implements_train_batch_hooks()


class _Logs(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs["extra"] = float(epoch + 1)


def test_batches_cover_the_data_reshuffled_each_epoch_by_the_seed():
    x, y = np.arange(10, dtype=np.float32), np.arange(10)
    dataset = batches(x, y, 4, shuffle_seed=3)
    epochs = [np.concatenate([b.numpy() for b, _ in dataset]) for _ in range(2)]
    again = np.concatenate([b.numpy() for b, _ in batches(x, y, 4, shuffle_seed=3)])
    assert [sorted(e) for e in epochs] == [list(x), list(x)]
    assert not np.array_equal(epochs[0], epochs[1])  # a new order every epoch
    assert np.array_equal(epochs[0], again)  # the same seed, the same first epoch
    assert [len(b) for b, _ in dataset] == [4, 4, 2]
    assert dataset.options().autotune.enabled is False  # no 10 s stall (docstring)
    ordered = np.concatenate([b.numpy() for b, _ in batches(x, y, 4)])
    assert np.array_equal(ordered, x)


def test_stopping_early_runs_the_first_epochs_of_the_recipes_schedule(data, capsys):
    """``epochs=1`` of a 3-epoch recipe is the first epoch of the full run (stopped by a
    callback here), not a 1-epoch recipe, whose cosine decays three times faster."""
    recipe = Recipe(epochs=3, batch_size=32, learning_rate=1e-2, schedule="cosine")
    runs = {
        "epochs=1": (recipe, [], 1),
        "full run, stopped": (recipe, [_StopAfterFirstEpoch()], None),
        "1-epoch recipe": (Recipe(1, 32, 1e-2, "cosine"), [], None),
    }
    weights = {}
    for name, (r, callbacks, epochs) in runs.items():
        tf.keras.utils.set_random_seed(0)
        model = binary_model()
        history = fit(model, r, *data, callbacks=callbacks, epochs=epochs)
        assert len(history["loss"]) == 1, name
        weights[name] = model.get_weights()
    same = zip(weights["epochs=1"], weights["full run, stopped"])
    assert all(np.array_equal(a, b) for a, b in same)
    other = zip(weights["epochs=1"], weights["1-epoch recipe"])
    assert not all(np.array_equal(a, b) for a, b in other)
    printed = capsys.readouterr().out
    assert "epoch 1/3" in printed and "epoch 2/3" not in printed  # of the recipe's 3


class _StopAfterFirstEpoch(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


@pytest.mark.parametrize("epochs", [0, 4, 1.5])
def test_stopping_outside_the_recipe_is_refused(epochs):
    with pytest.raises(ValueError, match=r"stop after 1 to 3 of the recipe's epochs"):
        Recipe(epochs=3).epochs_to_run(epochs)


def test_save_then_load_gives_the_same_model(data, tmp_path):
    model = binary_model()
    history = fit(model, TINY, *data)
    save("net", model, history, TINY, seed=7, directory=tmp_path)
    loaded, loaded_history = load("net", TINY, 7, binary_model, directory=tmp_path)
    x = data[1][0]
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    assert loaded_history == history
    assert loaded.evaluate(*data[1], verbose=0)[1] == pytest.approx(
        model.evaluate(*data[1], verbose=0)[1]
    )


def test_saving_hdf5_shows_no_legacy_notice(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        save_h5(binary_model(), tmp_path / "model.h5")
    assert (tmp_path / "model.h5").is_file()
    assert not [w for w in caught if "HDF5" in str(w.message)]


def test_artifact_of_another_recipe_or_seed_is_not_used(data, tmp_path):
    model = binary_model()
    save("net", model, {"loss": [1.0]}, TINY, seed=7, directory=tmp_path)
    assert load("net", Recipe(), 7, binary_model, directory=tmp_path) is None
    assert load("net", TINY, 8, binary_model, directory=tmp_path) is None
    assert load("other", TINY, 7, binary_model, directory=tmp_path) is None


def test_artifact_with_another_key_is_not_used(tmp_path):
    save("net", binary_model(), {"loss": [1.0]}, TINY, 7, tmp_path, key={"width": 1})
    assert load("net", TINY, 7, binary_model, tmp_path, key={"width": 1}) is not None
    assert load("net", TINY, 7, binary_model, tmp_path, key={"width": 2}) is None
    assert load("net", TINY, 7, binary_model, tmp_path) is None


def test_bop_flips_binary_kernels_and_adam_trains_the_rest(data):
    model = binary_model()
    fit(model, Recipe(epochs=1, batch_size=32, optimizer="bop"), *data)
    assert [type(o).__name__ for o in model.optimizer.optimizers] == ["Bop", "Adam"]
    kernels = [v for v in model.trainable_variables if "kernel" in v.name]
    assert all(lq.optimizers.Bop.is_binary_variable(v) for v in kernels)
    assert all(np.isin(v.numpy(), [-1.0, 1.0]).all() for v in kernels)  # Bop's flips
    betas = [v for v in model.trainable_variables if "beta" in v.name]
    assert not any(np.isin(v.numpy(), [-1.0, 1.0]).all() for v in betas)  # Adam's


def test_a_printed_recipe_shows_the_knobs_only_where_they_are_set():
    assert str(Recipe()) == (
        "Recipe(epochs=6, batch_size=64, learning_rate=0.001, schedule='constant')"
    )
    assert str(Recipe(optimizer="bop", temperature=2.0)).endswith(
        "schedule='constant', optimizer='bop', temperature=2.0)"
    )


def test_unknown_optimizer_is_refused_before_training():
    message = "unknown optimizer 'sgd': use 'adam' or 'bop'"
    with pytest.raises(ValueError, match=message):
        Recipe(optimizer="sgd").optimizer_for(10)


def test_distilling_recipe_needs_packed_targets(data):
    recipe = Recipe(epochs=1, batch_size=32, distillation=0.5, temperature=2.0)
    with pytest.raises(ValueError, match=r"needs targets of shape \(n, 1 \+ classes\)"):
        fit(binary_model(), recipe, *data)


def test_weights_load_into_the_built_model_when_keras_cannot_read_the_config(
    data, tmp_path
):
    """A config key this tf-keras does not know (as 2.20 meets 2.21's ``optional``)
    makes Keras refuse the whole file; the weights still load into ``build()``."""
    model = binary_model()
    save("net", model, {"loss": [1.0]}, TINY, seed=7, directory=tmp_path)
    with h5py.File(tmp_path / "net.h5", "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][0]["config"]["from_a_newer_keras"] = True
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        tf.keras.models.load_model(tmp_path / "net.h5", compile=False)
    loaded, _ = load("net", TINY, 7, binary_model, directory=tmp_path)
    x = data[1][0]
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )


def test_weights_of_another_architecture_count_as_unreadable(tmp_path, capsys):
    save("net", binary_model(), {"loss": [1.0]}, TINY, seed=7, directory=tmp_path)
    assert load("net", TINY, 7, lambda: binary_model(2), directory=tmp_path) is None
    assert "it will be retrained and replaced" in capsys.readouterr().out


def test_record_of_an_older_layout_is_not_used(data, tmp_path):
    """Records written before the history kept each epoch's seconds have no
    ``format``: they count as missing, so the model is trained again."""
    save("net", binary_model(), {"loss": [1.0]}, TINY, seed=7, directory=tmp_path)
    record = tmp_path / "net.json"
    old = {k: v for k, v in json.loads(record.read_text()).items() if k != "format"}
    record.write_text(json.dumps(old))
    assert load("net", TINY, 7, binary_model, directory=tmp_path) is None


def test_load_or_train_trains_once_then_loads(data, tmp_path, capsys):
    first, _ = load_or_train(
        "net", binary_model, TINY, *data, seed=3, directory=tmp_path
    )
    assert "training it now" in capsys.readouterr().out
    second, _ = load_or_train(
        "net", binary_model, TINY, *data, seed=3, directory=tmp_path
    )
    assert "loaded net" in capsys.readouterr().out
    for a, b in zip(first.weights, second.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(second, tf.keras.Model)


@pytest.fixture
def saved(tmp_path):
    """An artifact ``net`` of an untrained model, saved with TINY and seed 7."""
    save("net", binary_model(), {"loss": [1.0]}, TINY, seed=7, directory=tmp_path)
    return tmp_path


def _retrained(folder, data, capsys) -> str:
    """Check that ``net`` in ``folder`` reads as missing, then that load_or_train
    replaces it with a readable artifact; return what was printed first."""
    assert load("net", TINY, 7, binary_model, directory=folder) is None
    printed = capsys.readouterr().out
    load_or_train("net", binary_model, TINY, *data, seed=7, directory=folder)
    assert "training it now" in capsys.readouterr().out
    assert load("net", TINY, 7, binary_model, directory=folder) is not None
    return printed


def test_truncated_model_is_retrained_and_replaced(saved, data, capsys):
    model = saved / "net.h5"
    model.write_bytes(model.read_bytes()[:1000])
    printed = _retrained(saved, data, capsys)
    assert printed.count("\n") == 1
    assert f"artifact {model} is unreadable (OSError: " in printed
    assert "it will be retrained and replaced" in printed


def test_garbage_record_is_retrained_and_replaced(saved, data, capsys):
    record = saved / "net.json"
    record.write_text('{"recipe": {"epochs": 1, "batch')
    printed = _retrained(saved, data, capsys)
    assert printed.count("\n") == 1
    assert f"artifact {record} is unreadable (JSONDecodeError: " in printed


def test_record_without_its_model_is_retrained(saved, data, capsys):
    (saved / "net.h5").unlink()
    printed = _retrained(saved, data, capsys)
    assert printed == (
        f"artifact {saved / 'net.json'} is unreadable (its model net.h5 is "
        "missing): it will be retrained and replaced\n"
    )


def test_interrupted_save_leaves_no_record_that_claims_a_model(saved, monkeypatch):
    """A save killed while writing the model: the old model file is untouched, no record
    claims anything, and no half-written file has the artifact's name."""
    before = (saved / "net.h5").read_bytes()
    model = binary_model()

    def interrupted(path, **kwargs):
        open(path, "wb").write(b"\x89HDF half")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save("net", model, {"loss": [0.5]}, TINY, seed=7, directory=saved)
    assert not (saved / "net.json").exists()
    assert (saved / "net.h5").read_bytes() == before
    assert load("net", TINY, 7, binary_model, directory=saved) is None
