"""Distillation: packed targets, the loss's two terms, accuracy on packed labels."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from bnnbook import distill
from bnnbook.models import binary_model
from bnnbook.training import Recipe, fit

RNG = np.random.default_rng(0)


def probabilities(n: int) -> np.ndarray:
    logits = RNG.normal(size=(n, 10)).astype(np.float32)
    return tf.nn.softmax(logits).numpy()


def test_targets_pack_labels_beside_the_teachers_probabilities():
    teacher = probabilities(4)
    packed = distill.targets(np.array([3, 1, 4, 1]), teacher)
    assert packed.shape == (4, 11) and packed.dtype == np.float32
    np.testing.assert_array_equal(packed[:, 0], [3, 1, 4, 1])
    np.testing.assert_array_equal(packed[:, 1:], teacher)


def test_targets_of_other_images_are_refused():
    with pytest.raises(ValueError, match="predict the teacher on the same images"):
        distill.targets(np.zeros(5), probabilities(4))


def test_with_weight_near_zero_the_loss_is_cross_entropy():
    labels, student = np.array([0, 2, 5]), probabilities(3)
    packed = distill.targets(labels, probabilities(3))
    loss = distill.loss(1e-9, 2.0)(tf.constant(packed), tf.constant(student))
    expected = tf.keras.losses.SparseCategoricalCrossentropy()(labels, student)
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)


def test_soft_term_vanishes_when_the_student_matches_the_teacher():
    labels, same = np.array([1, 7]), probabilities(2)
    packed = tf.constant(distill.targets(labels, same))
    hard_only = float(distill.loss(0.5, 4.0)(packed, tf.constant(same)))
    expected = 0.5 * tf.keras.losses.SparseCategoricalCrossentropy()(labels, same)
    assert hard_only == pytest.approx(float(expected), rel=1e-5)
    other = tf.constant(probabilities(2))
    assert float(distill.loss(1.0, 4.0)(packed, other)) > 0.01


@pytest.mark.parametrize("weight, temperature", [(0, 2.0), (1.5, 2.0), (0.5, 0)])
def test_loss_settings_out_of_range_are_refused(weight, temperature):
    with pytest.raises(ValueError, match="must be in \\(0, 1\\]"):
        distill.loss(weight, temperature)


def test_accuracy_reads_the_packed_labels():
    packed = distill.targets(np.array([2, 0]), probabilities(2))
    predicted = tf.one_hot([2, 1], 10)
    np.testing.assert_array_equal(distill.accuracy(packed, predicted), [1.0, 0.0])


def test_a_distilling_fit_logs_the_accuracy_of_its_predictions():
    x = RNG.uniform(-1, 1, (64, 28, 28, 1)).astype(np.float32)
    y = RNG.integers(0, 10, 64)
    packed = distill.targets(y, probabilities(64))
    recipe = Recipe(epochs=1, batch_size=32, distillation=0.5, temperature=2.0)
    model = binary_model()
    history = fit(model, recipe, (x, packed), (x[:32], packed[:32]))
    predicted = model.predict(x[:32], verbose=0).argmax(1)
    assert history["val_accuracy"][0] == pytest.approx(np.mean(predicted == y[:32]))
