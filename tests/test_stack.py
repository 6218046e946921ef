"""The pinned stack end to end: Larq trains, LCE converts, LCE's interpreter runs."""

from __future__ import annotations

import larq as lq
import larq_compute_engine as lce
import numpy as np
import tensorflow as tf

from bnnbook.models import binary_model


def test_larq_trains_lce_converts_and_its_interpreter_agrees():
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (256, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    model = binary_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(
        not np.array_equal(b, w.numpy())
        for b, w in zip(before, model.trainable_weights)
    )
    kernels = [
        layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")
    ]
    assert all(
        np.abs(k).max() <= 1.0 for k in kernels
    ), "weight_clip keeps latent weights in [-1, 1]"
    with lq.context.quantized_scope(True):
        assert all(
            set(np.unique(layer.kernel.numpy())) <= {-1.0, 1.0}
            for layer in model.layers
            if hasattr(layer, "kernel")
        )

    flatbuffer = lce.convert_keras_model(model)
    interpreter = lce.testing.Interpreter(flatbuffer, num_threads=1)
    converted = interpreter.predict(x[:32])
    reference = model.predict(x[:32], verbose=0)
    np.testing.assert_allclose(converted, reference, atol=1e-4)
