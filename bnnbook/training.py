"""Training recipes, and training by them.

A :class:`Recipe` says how a model is trained (optimizer settings, epochs, batch size);
:func:`fit` trains a Keras model by one, on :func:`batches` of the data. Trained models
are kept by :mod:`bnnbook.artifacts`, keyed by recipe and seed.
"""

from __future__ import annotations

import dataclasses
import time

import larq as lq
import numpy as np
import tensorflow as tf

from bnnbook import distill
from bnnbook.progress import report

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
        optimizer: ``"adam"``, or ``"bop"``: Larq's Bop flips the binary kernels'
            signs, and Adam (``learning_rate``, ``schedule``) trains the rest.
        distillation: weight of a teacher's softened outputs in the loss, from 0
            (labels alone) to 1 (:func:`bnnbook.distill.loss`); above 0, training
            targets are :func:`bnnbook.distill.targets`.
        temperature: how much the teacher's and the model's outputs are softened
            when distilling.
    """

    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 1e-3
    schedule: str = "constant"
    optimizer: str = "adam"
    distillation: float = 0.0
    temperature: float = 1.0

    def __str__(self) -> str:
        """The fields, leaving out the optimizer and distillation knobs where they are
        at their defaults, so that a printed recipe fits a line of the book."""
        knobs = ("optimizer", "distillation", "temperature")
        shown = [
            f"{field.name}={getattr(self, field.name)!r}"
            for field in dataclasses.fields(self)
            if field.name not in knobs or getattr(self, field.name) != field.default
        ]
        return f"Recipe({', '.join(shown)})"

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

    def optimizer_for(self, steps: int) -> tf.keras.optimizers.Optimizer:
        """This recipe's optimizer for ``steps`` steps in all."""
        rate = self.learning_rate_at(steps)
        if self.optimizer == "adam":
            return tf.keras.optimizers.Adam(rate)
        if self.optimizer == "bop":  # Larq's CaseOptimizer takes legacy optimizers
            return lq.optimizers.CaseOptimizer(
                (lq.optimizers.Bop.is_binary_variable, lq.optimizers.Bop()),
                default_optimizer=tf.keras.optimizers.legacy.Adam(rate),
            )
        raise ValueError(f"unknown optimizer {self.optimizer!r}: use 'adam' or 'bop'")

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


class Clock(tf.keras.callbacks.Callback):
    """Wall-clock seconds of each training epoch, in ``seconds``. It has no per-step
    hook, so Keras runs the steps without calling back into Python."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


class StepClock(Clock):
    """A :class:`Clock` that also keeps ``time.perf_counter()`` at the end of every
    step in ``step_ends``: their differences are seconds per step. The per-step hook
    makes Keras call back into Python after each step: use it to time steps only."""

    def __init__(self):
        super().__init__()
        self.step_ends: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.step_ends.append(time.perf_counter())


class EpochLog(Clock):
    """A :class:`Clock` that also prints one line per epoch
    (:func:`bnnbook.progress.epoch_line`)."""

    def __init__(self, name: str, epochs: int):
        super().__init__()
        self.name, self.epochs = name, epochs

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        report(self.name, epoch + 1, self.epochs, logs, self.seconds[-1])


def fit(
    model: tf.keras.Model,
    recipe: Recipe,
    train: Split,
    validation: Split,
    callbacks: list[tf.keras.callbacks.Callback] | None = None,
    epochs: int | None = None,
    name: str | None = None,
) -> dict[str, list[float]]:
    """Compile ``model`` with the recipe's optimizer and loss (labels, or labels and a
    teacher's outputs when it distills) and train it by ``recipe`` (``callbacks`` go to
    ``model.fit``), on batches reshuffled every epoch (:func:`batches`; the order
    follows from :func:`bnnbook.repro.set_seed`). Each epoch prints one line as it
    ends, headed ``name`` (default: the model's name), counting in the recipe's
    epochs (``epoch 1/6`` when ``epochs=1`` stops a 6-epoch recipe early).

    ``epochs`` stops training after that many of the recipe's epochs, on the recipe's
    own learning-rate schedule (the first epoch of a 6-epoch cosine decay, say): the
    same steps, batches and step sizes as the start of a full run.

    Returns Keras's history: per-epoch ``loss``, ``accuracy``, ``val_loss`` and
    ``val_accuracy`` (and what ``callbacks`` add to Keras's logs), with ``seconds``,
    each epoch's wall time.
    """
    epochs = recipe.epochs_to_run(epochs)
    log = EpochLog(name or model.name, recipe.epochs)
    steps = recipe.epochs * -(-len(train[0]) // recipe.batch_size)
    loss, accuracy = LOSS, "accuracy"
    if recipe.distillation:
        distill.check_targets(train[1], validation[1])
        loss = distill.loss(recipe.distillation, recipe.temperature)
        accuracy = distill.accuracy
    model.compile(optimizer=recipe.optimizer_for(steps), loss=loss, metrics=[accuracy])
    shuffle_seed = int(np.random.randint(2**31 - 1))  # set_seed seeds NumPy too
    history = model.fit(
        batches(*train, recipe.batch_size, shuffle_seed),
        epochs=epochs,
        validation_data=batches(*validation, VALIDATION_BATCH),
        callbacks=[*(callbacks or []), log],
        verbose=0,
    )
    found = {key: [float(v) for v in values] for key, values in history.history.items()}
    return {**found, "seconds": log.seconds}


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
