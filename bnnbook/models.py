"""The book's two models: a binarized CNN (Larq) and its full-precision twin.

Both share one architecture, the one of Larq's MNIST guide: three 3x3 convolutions
(32, 64, 64 filters) with max-pooling, two dense layers (64, 10), and a
``BatchNormalization(scale=False)`` after every weight layer. Where the binarized model
applies ``sign`` to a batch-normalised output (as the next layer's input quantizer), the
float twin applies ReLU; both end BatchNorm -> softmax, so both output probabilities.
"""

from __future__ import annotations

import larq as lq
import tensorflow as tf

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def binary_model(width: int = 1) -> tf.keras.Sequential:
    """The binarized CNN of Larq's MNIST guide (93.6 k parameters, 13.19 KiB in 1 bit).

    Every layer binarizes its kernel with ``ste_sign`` and keeps the latent weights in
    [-1, 1] with ``weight_clip``. Every layer but the first also binarizes its input;
    the first sees the real-valued image, whose pixels a sign would reduce to a
    silhouette. ``ste_sign`` is sign forward (+1 where ``x >= 0``, else -1) and the
    clipped straight-through estimator backward (derivative 1 where ``|x| <= 1``, 0
    elsewhere): BinaryNet, Courbariaux, Hubara et al. 2016, "Binarized Neural
    Networks" (arXiv:1602.02830).

    ``width`` multiplies the channels of every layer but the last (chapter 8's width
    sweep, :mod:`bnnbook.bench.width_sweep`).
    """
    c1, c2, units = _channels(width)
    binary = dict(
        input_quantizer="ste_sign",
        kernel_quantizer="ste_sign",
        kernel_constraint="weight_clip",
        use_bias=False,
    )
    return tf.keras.Sequential(
        [
            tf.keras.Input(INPUT_SHAPE),
            lq.layers.QuantConv2D(
                c1,
                (3, 3),
                kernel_quantizer="ste_sign",
                kernel_constraint="weight_clip",
                use_bias=False,
            ),
            tf.keras.layers.MaxPooling2D((2, 2)),
            tf.keras.layers.BatchNormalization(scale=False),
            lq.layers.QuantConv2D(c2, (3, 3), **binary),
            tf.keras.layers.MaxPooling2D((2, 2)),
            tf.keras.layers.BatchNormalization(scale=False),
            lq.layers.QuantConv2D(c2, (3, 3), **binary),
            tf.keras.layers.BatchNormalization(scale=False),
            tf.keras.layers.Flatten(),
            lq.layers.QuantDense(units, **binary),
            tf.keras.layers.BatchNormalization(scale=False),
            lq.layers.QuantDense(NUM_CLASSES, **binary),
            tf.keras.layers.BatchNormalization(scale=False),
            tf.keras.layers.Activation("softmax"),
        ],
        name="binary_cnn" if width == 1 else f"binary_cnn_x{width}",
    )


def float_model(width: int = 1) -> tf.keras.Sequential:
    """The full-precision twin of :func:`binary_model`: same layers, ReLU, float32."""
    c1, c2, units = _channels(width)
    relu = tf.keras.layers.ReLU
    return tf.keras.Sequential(
        [
            tf.keras.Input(INPUT_SHAPE),
            tf.keras.layers.Conv2D(c1, (3, 3), use_bias=False),
            tf.keras.layers.MaxPooling2D((2, 2)),
            tf.keras.layers.BatchNormalization(scale=False),
            relu(),
            tf.keras.layers.Conv2D(c2, (3, 3), use_bias=False),
            tf.keras.layers.MaxPooling2D((2, 2)),
            tf.keras.layers.BatchNormalization(scale=False),
            relu(),
            tf.keras.layers.Conv2D(c2, (3, 3), use_bias=False),
            tf.keras.layers.BatchNormalization(scale=False),
            relu(),
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(units, use_bias=False),
            tf.keras.layers.BatchNormalization(scale=False),
            relu(),
            tf.keras.layers.Dense(NUM_CLASSES, use_bias=False),
            tf.keras.layers.BatchNormalization(scale=False),
            tf.keras.layers.Activation("softmax"),
        ],
        name="float_cnn" if width == 1 else f"float_cnn_x{width}",
    )


def _channels(width: int) -> tuple[int, int, int]:
    """Filters of the first convolution, of the other two, and units of the hidden
    dense layer, at ``width`` times the guide's 32, 64 and 64."""
    if not isinstance(width, int) or width < 1:
        raise ValueError(
            f"width must be a whole number >= 1 (a channel multiplier), got {width!r}"
        )
    return 32 * width, 64 * width, 64 * width


def architecture(model: tf.keras.Model) -> list[tuple[str, dict]]:
    """Each layer's class and configuration, without the names Keras makes up (also
    those of nested objects such as quantizers).

    Two models with equal architectures compute the same function of the same weights.
    """
    return [
        (type(layer).__name__, _without_names(layer.get_config()))
        for layer in model.layers
    ]


def _without_names(config):
    if isinstance(config, dict):
        return {k: _without_names(v) for k, v in config.items() if k != "name"}
    if isinstance(config, tuple):
        return tuple(_without_names(v) for v in config)
    if isinstance(config, list):
        return [_without_names(v) for v in config]
    return config
