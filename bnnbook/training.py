"""Training recipes, and trained models kept as artifacts for later chapters.

Chapter 2 trains the float model and chapter 3 the binarized one; both save the model
and its history under :func:`artifacts_dir`, so chapter 4 need not retrain. A chapter
run on its own (in Colab, say) trains what it needs when the artifact is missing,
unreadable, or was trained with another recipe.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from bnnbook.repro import SEED, set_seed, versions

ENV_VAR = "BNNBOOK_ARTIFACTS"
LOSS = "sparse_categorical_crossentropy"

Split = tuple[np.ndarray, np.ndarray]


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a model is trained: Adam, sparse categorical cross-entropy, fixed epochs.

    Attributes:
        epochs: passes over the training set.
        batch_size: images per gradient step.
        learning_rate: Adam's (initial) step size.
        schedule: ``"constant"``, or ``"cosine"`` for a cosine decay from
            ``learning_rate`` to 0 over all steps of training.
    """

    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 1e-3
    schedule: str = "constant"

    def learning_rate_at(
        self, steps: int
    ) -> tf.keras.optimizers.schedules.LearningRateSchedule | float:
        """The learning rate (a schedule if it varies) for ``steps`` steps in all."""
        if self.schedule == "constant":
            return self.learning_rate
        if self.schedule == "cosine":
            return tf.keras.optimizers.schedules.CosineDecay(self.learning_rate, steps)
        raise ValueError(
            f"unknown schedule {self.schedule!r}: use 'constant' or 'cosine'"
        )

    def epochs_to_run(self, epochs: int | None = None) -> int:
        """``epochs`` (default: all of this recipe's), checked to be 1 to
        ``self.epochs``: training may stop early on the recipe's schedule, not run
        past it."""
        if epochs is None:
            return self.epochs
        if not isinstance(epochs, int) or not 1 <= epochs <= self.epochs:
            raise ValueError(
                f"epochs={epochs!r}: stop after 1 to {self.epochs} of the recipe's "
                "epochs, or use a Recipe with more epochs"
            )
        return epochs


#: Larq's MNIST guide: Adam at a constant 1e-3; chapter 2 trains the float model so.
LARQ_GUIDE = Recipe(epochs=6, batch_size=64, learning_rate=1e-3, schedule="constant")

#: Chapter 3's recipe for the binarized model: Adam from 1e-2 with cosine decay to 0.
COSINE = Recipe(epochs=6, batch_size=64, learning_rate=1e-2, schedule="cosine")

#: The recipe each saved model ("float", "binary") was trained with.
RECIPES = {"float": LARQ_GUIDE, "binary": COSINE}


def fit(
    model: tf.keras.Model,
    recipe: Recipe,
    train: Split,
    validation: Split,
    callbacks: list[tf.keras.callbacks.Callback] | None = None,
    verbose: int = 0,
    epochs: int | None = None,
) -> dict[str, list[float]]:
    """Compile ``model`` with Adam and train it by ``recipe`` (``callbacks`` go to
    ``model.fit``), on batches reshuffled every epoch (:func:`batches`; the order
    follows from :func:`bnnbook.repro.set_seed`).

    ``epochs`` stops training after that many of the recipe's epochs, on the recipe's
    own learning-rate schedule (the first epoch of a 6-epoch cosine decay, say): the
    same steps, batches and step sizes as the start of a full run.

    Returns Keras's history: per-epoch ``loss``, ``accuracy``, ``val_loss`` and
    ``val_accuracy``.
    """
    epochs = recipe.epochs_to_run(epochs)
    steps = recipe.epochs * -(-len(train[0]) // recipe.batch_size)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(recipe.learning_rate_at(steps)),
        loss=LOSS,
        metrics=["accuracy"],
    )
    shuffle_seed = int(np.random.randint(2**31 - 1))  # set_seed seeds NumPy too
    history = model.fit(
        batches(*train, recipe.batch_size, shuffle_seed),
        epochs=epochs,
        validation_data=batches(*validation, VALIDATION_BATCH),
        callbacks=callbacks,
        verbose=verbose,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


#: Images per batch when a model is evaluated on the validation split during training.
VALIDATION_BATCH = 500


def batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """``(x, y)`` in batches of ``batch_size``, reshuffled every epoch if
    ``shuffle_seed`` is given, as a ``tf.data`` pipeline with its autotuner off.

    Why not hand Keras the NumPy arrays: Keras then builds a pipeline that runs
    ``tf.data``'s autotuner, and with TensorFlow 2.21 destroying that pipeline's
    iterator at the end of ``fit`` waits for the autotuner's thread, which can sleep
    for about 10 seconds. Here about half of all ``fit`` calls returned 10 s after
    training had ended (a debugger showed the iterator's destructor waiting); with the
    autotuner off, none did, and the epochs ran as fast.
    """
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(x), seed=shuffle_seed)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.batch(batch_size).prefetch(2).with_options(options)


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
) -> Path:
    """Save ``model`` as ``<name>.h5`` (HDF5, without optimizer state) and its history,
    recipe, seed and library versions as ``<name>.json``. Returns the model's path.

    Atomic: any old record goes first, each file is written under a temporary name and
    renamed, and the record comes last, so an interrupted save never leaves a record
    beside a model it does not describe."""
    folder = artifacts_dir(directory)
    model_path, record_path = folder / f"{name}.h5", folder / f"{name}.json"
    record = {
        "recipe": dataclasses.asdict(recipe),
        "seed": seed,
        "history": history,
        "versions": versions(),
    }
    record_path.unlink(missing_ok=True)
    partial = folder / f".{name}.h5.partial"
    model.save(partial, include_optimizer=False, save_format="h5")
    os.replace(partial, model_path)
    partial = folder / f".{name}.json.partial"
    partial.write_text(json.dumps(record, indent=1))
    os.replace(partial, record_path)
    return model_path


def load(
    name: str, recipe: Recipe, seed: int, directory: str | os.PathLike | None = None
) -> tuple[tf.keras.Model, dict] | None:
    """The saved model ``name`` (compiled for ``evaluate``) and its history, or ``None``
    if there is none trained with this recipe and seed.

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
            record["recipe"] == dataclasses.asdict(recipe) and record["seed"] == seed
        )
        history = record["history"]
    except (ValueError, KeyError, TypeError) as error:
        _unreadable(record_path, f"{type(error).__name__}: {error}")
        return None
    if not matches:
        return None
    try:
        model = tf.keras.models.load_model(model_path, compile=False)
    except (OSError, ValueError) as error:
        _unreadable(model_path, f"{type(error).__name__}: {error}")
        return None
    model.compile(loss=LOSS, metrics=["accuracy"])  # ready for evaluate()
    return model, history


def _unreadable(path: Path, reason: str) -> None:
    print(
        f"artifact {path} is unreadable ({reason}): it will be retrained and replaced"
    )


def train_and_save(
    name: str,
    build: Callable[[], tf.keras.Model],
    recipe: Recipe,
    train: Split,
    validation: Split,
    seed: int = SEED,
    directory: str | os.PathLike | None = None,
) -> tuple[tf.keras.Model, dict]:
    """Seed, train ``build()`` by ``recipe``, save it as artifact ``name``, and return
    it with its history."""
    print(f"no saved {name} for this recipe and seed: training it now")
    set_seed(seed)
    model = build()
    history = fit(model, recipe, train, validation)
    save(name, model, history, recipe, seed, directory)
    return model, history


def load_or_train(
    name: str,
    build: Callable[[], tf.keras.Model],
    recipe: Recipe,
    train: Split,
    validation: Split,
    seed: int = SEED,
    directory: str | os.PathLike | None = None,
) -> tuple[tf.keras.Model, dict]:
    """Load artifact ``name`` if it was trained with ``recipe`` and ``seed``; otherwise
    train it (:func:`train_and_save`)."""
    found = load(name, recipe, seed, directory)
    if found is not None:
        print(f"loaded {name} from {artifacts_dir(directory) / name}.h5")
        return found
    return train_and_save(name, build, recipe, train, validation, seed, directory)
