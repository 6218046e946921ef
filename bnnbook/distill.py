"""Knowledge distillation: a model learns from a trained teacher's outputs too.

Hinton, Vinyals and Dean (2015): besides the labels :math:`y`, the student matches the
teacher's probabilities softened by a temperature :math:`T`,

.. math::

    L = (1 - a)\\,\\mathrm{CE}(y, p_s) + a\\,T^2\\,\\mathrm{KL}(q_t \\,\\|\\, q_s),
    \\qquad q = \\mathrm{softmax}(\\log p \\,/\\, T),

where :math:`a` is the distillation weight (:math:`T^2` keeps the soft term's gradients
at the scale of the hard one's). The book's models end in softmax, so
:math:`\\log p` is the logits up to a constant, which softmax ignores. Keras hands a
loss one target array, so :func:`targets` packs each label with the teacher's
probabilities: shape ``(n, 1 + classes)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

#: Added to probabilities before their logarithm: a softmax output can round to 0.
EPSILON = 1e-7


def targets(labels: np.ndarray, teacher_probabilities: np.ndarray) -> np.ndarray:
    """Labels ``(n,)`` and the teacher's probabilities ``(n, classes)`` as one float32
    array ``(n, 1 + classes)``, the training targets when a recipe distills."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or teacher_probabilities.shape[:1] != labels.shape:
        raise ValueError(
            f"labels {labels.shape} and teacher probabilities "
            f"{teacher_probabilities.shape} must be (n,) and (n, classes): predict "
            "the teacher on the same images as the labels"
        )
    return np.concatenate(
        [labels[:, None].astype(np.float32), teacher_probabilities.astype(np.float32)],
        axis=1,
    )


def check_targets(*ys: np.ndarray) -> None:
    """Each of ``ys`` must be :func:`targets`, not bare labels."""
    for y in ys:
        if np.ndim(y) != 2 or np.shape(y)[1] < 3:
            raise ValueError(
                f"a distilling recipe needs targets of shape (n, 1 + classes), got "
                f"{np.shape(y)}: pass bnnbook.distill.targets(labels, teacher "
                "probabilities) for training and validation, or set distillation=0"
            )


def _soft(probabilities: tf.Tensor, temperature: float) -> tf.Tensor:
    return tf.nn.softmax(tf.math.log(probabilities + EPSILON) / temperature)


def loss(
    weight: float, temperature: float
) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """The distillation loss above, for :func:`targets` and a softmax output."""
    if not 0 < weight <= 1 or temperature <= 0:
        raise ValueError(
            f"distillation weight {weight} must be in (0, 1] and temperature "
            f"{temperature} above 0"
        )
    hard = tf.keras.losses.SparseCategoricalCrossentropy()
    kl = tf.keras.losses.KLDivergence()

    def distillation_loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        labels, teacher = y_true[:, 0], y_true[:, 1:]
        soft = kl(_soft(teacher, temperature), _soft(y_pred, temperature))
        return (1 - weight) * hard(labels, y_pred) + weight * temperature**2 * soft

    return distillation_loss


def accuracy(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """Accuracy against the labels packed by :func:`targets` (Keras logs it as
    ``accuracy``)."""
    labels = tf.cast(y_true[:, 0], tf.int64)
    return tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), labels), tf.float32)
