"""Trained models kept as artifacts for later chapters, keyed by recipe and seed.

Chapter 2 trains the float model and chapter 3 the binarized ones with
:func:`load_or_train`, which saves each model and its history under
:func:`artifacts_dir`: later chapters, and a second run of the same chapter, load them
instead of training again. A chapter run on its own (in Colab, say) trains what it
needs when the artifact is missing, unreadable, or was trained with another recipe.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from bnnbook.repro import SEED, set_seed, versions
from bnnbook.training import LOSS, Recipe, Split, fit

ENV_VAR = "BNNBOOK_ARTIFACTS"

#: The record's layout; a record of another (older) layout counts as missing. 2: the
#: history holds each epoch's ``seconds``.
RECORD_FORMAT = 2


def artifacts_dir(directory: str | os.PathLike | None = None) -> Path:
    """Where trained models live, created if missing: ``directory``, else
    ``$BNNBOOK_ARTIFACTS``, else the book's ``book/artifacts`` when this package is used
    from a checkout of the book, else ``./artifacts``."""
    if directory is None and not os.environ.get(ENV_VAR):
        book = Path(__file__).resolve().parents[1] / "book"
        directory = book / "artifacts" if book.is_dir() else "artifacts"
    path = Path(directory or os.environ[ENV_VAR])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(
    name: str,
    model: tf.keras.Model,
    history: dict,
    recipe: Recipe,
    seed: int,
    directory: str | os.PathLike | None = None,
    key: dict | None = None,
) -> Path:
    """Save ``model`` as ``<name>.h5`` (HDF5, without optimizer state) and its history,
    recipe, seed, ``key`` and library versions as ``<name>.json``. Returns the model's
    path.

    Atomic: any old record goes first, each file is written under a temporary name and
    renamed, and the record comes last, so an interrupted save never leaves a record
    beside a model it does not describe."""
    folder = artifacts_dir(directory)
    model_path, record_path = folder / f"{name}.h5", folder / f"{name}.json"
    record = {
        "format": RECORD_FORMAT,
        "recipe": dataclasses.asdict(recipe),
        "seed": seed,
        "key": key,
        "history": history,
        "versions": versions(),
    }
    record_path.unlink(missing_ok=True)
    partial = folder / f".{name}.h5.partial"
    save_h5(model, partial)
    os.replace(partial, model_path)
    partial = folder / f".{name}.json.partial"
    partial.write_text(json.dumps(record, indent=1))
    os.replace(partial, record_path)
    return model_path


def save_h5(model: tf.keras.Model, path: str | os.PathLike) -> None:
    """``model`` as one HDF5 file, without optimizer state. HDF5 on purpose (one file,
    whose size chapter 4 discusses), so Keras's notice that the format is legacy is
    not shown."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="You are saving your model as an HDF5"
        )
        model.save(path, include_optimizer=False, save_format="h5")


def load(
    name: str,
    recipe: Recipe,
    seed: int,
    build: Callable[[], tf.keras.Model],
    directory: str | os.PathLike | None = None,
    key: dict | None = None,
) -> tuple[tf.keras.Model, dict] | None:
    """The saved model ``name`` (compiled for ``evaluate``) and its history, or ``None``
    if there is none trained with this recipe, seed and ``key`` (anything else the
    model depends on, such as :meth:`bnnbook.advice.Change.key`).

    The saved weights go into ``build()``'s model rather than a model Keras rebuilds
    from the saved config, so a model saved by one tf-keras version loads in another (a
    layer's config can gain keys an older version refuses: tf-keras 2.20 cannot read
    the ``optional`` of 2.21's input layer).

    An unreadable artifact (a truncated model, a corrupt record, a record without its
    model) counts as missing: one printed line names it and says it will be replaced."""
    folder = artifacts_dir(directory)
    model_path, record_path = folder / f"{name}.h5", folder / f"{name}.json"
    if not record_path.is_file():
        return None
    if not model_path.is_file():
        _unreadable(record_path, f"its model {model_path.name} is missing")
        return None
    try:
        record = json.loads(record_path.read_text())
        matches = (
            record.get("format") == RECORD_FORMAT
            and record["recipe"] == dataclasses.asdict(recipe)
            and record["seed"] == seed
            and record.get("key") == key
        )
        history = record["history"]
    except (ValueError, KeyError, TypeError) as error:
        _unreadable(record_path, f"{type(error).__name__}: {error}")
        return None
    if not matches:
        return None
    try:
        model = build()
        model.load_weights(model_path)
    except (OSError, ValueError) as error:
        _unreadable(model_path, f"{type(error).__name__}: {error}")
        return None
    model.compile(loss=LOSS, metrics=["accuracy"])  # ready for evaluate()
    return model, history


def _unreadable(path: Path, reason: str) -> None:
    print(
        f"artifact {path} is unreadable ({reason}): it will be retrained and replaced"
    )


def load_or_train(
    name: str,
    build: Callable[[], tf.keras.Model],
    recipe: Recipe,
    train: Split,
    validation: Split,
    seed: int = SEED,
    directory: str | os.PathLike | None = None,
    callbacks: list[tf.keras.callbacks.Callback] | None = None,
    key: dict | None = None,
) -> tuple[tf.keras.Model, dict]:
    """Load artifact ``name`` if it was trained with ``recipe``, ``seed`` and ``key``;
    otherwise seed, train ``build()`` by ``recipe`` (printing a line per epoch;
    ``callbacks`` go to :func:`bnnbook.training.fit`, and what they add to Keras's logs
    is kept in the history) and save it. Returns the model, compiled for ``evaluate``
    on bare labels, and its history."""
    found = load(name, recipe, seed, build, directory, key)
    if found is not None:
        print(f"loaded {name} from {artifacts_dir(directory) / name}.h5")
        return found
    print(f"no saved {name} for this recipe and seed: training it now")
    set_seed(seed)
    model = build()
    history = fit(model, recipe, train, validation, callbacks, name=name)
    save(name, model, history, recipe, seed, directory, key)
    model.compile(loss=LOSS, metrics=["accuracy"])  # as loaded: for evaluate()
    return model, history
