"""Convert Keras models for deployment and look inside the resulting flatbuffers.

Float models go to TensorFlow Lite, as float32 or, with post-training quantization, as
int8; binarized Larq models go through Larq Compute Engine (LCE), which turns
``QuantConv2D`` layers with ``ste_sign`` inputs and kernels into ``LceBconv2d`` ops
with bit-packed weights. LCE 0.16 leaves ``QuantDense`` in float;
:func:`dense_as_conv` rewrites dense layers as the equivalent convolutions, which it
does binarize.
"""

from __future__ import annotations

import dataclasses
import warnings

import larq as lq
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

from bnnbook.quiet import native_output

_BUILTIN_NAMES = {
    v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")
}
_TYPE_NAMES = {
    v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")
}


class ConversionError(RuntimeError):
    """A model could not be converted; the message says why and what to do."""


def to_tflite(model: tf.keras.Model) -> bytes:
    """A float32 TensorFlow Lite flatbuffer of ``model``."""
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def to_int8(
    model: tf.keras.Model, representative: np.ndarray, samples: int = 500
) -> bytes:
    """A full-integer TensorFlow Lite flatbuffer of a float ``model``: post-training
    quantization, int8 weights (per channel) and int8 activations.

    The activations' ranges are calibrated on the first ``samples`` images of
    ``representative`` (training images, never test images). Input and output stay
    float32: the flatbuffer quantizes the image on entry and dequantizes the
    probabilities on exit, so it is a drop-in for the float flatbuffer.
    """
    if representative.ndim != 4 or len(representative) == 0:
        raise ValueError(
            "representative images must be (n, height, width, channels) with n >= 1, "
            f"got shape {representative.shape}"
        )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    images = representative[:samples].astype(np.float32)
    converter.representative_dataset = lambda: ([image[None]] for image in images)
    with warnings.catch_warnings(), native_output():  # the converter's own chatter
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return converter.convert()


def to_lce(model: tf.keras.Model) -> bytes:
    """A Larq Compute Engine flatbuffer of a Larq model (binary layers bit-packed).

    Raises:
        ConversionError: ``model`` is not a Keras 2 (``tf.keras``) model, LCE is not
            installed, or LCE failed.
    """
    if not isinstance(model, tf.keras.Model):
        raise ConversionError(
            "Larq Compute Engine converts tf.keras (Keras 2) models; got "
            f"{type(model).__module__}.{type(model).__name__}. Fix: build the model "
            "with tf.keras after `import bnnbook` (not with `import keras`, which is "
            "Keras 3)."
        )
    try:
        import larq_compute_engine as lce  # only where LCE installs (Python <= 3.12)
    except ImportError as error:
        raise ConversionError(
            "Larq Compute Engine is not installed in this runtime (it has no wheel for "
            "Python 3.13 and later): use Python 3.11 or 3.12, or deploy the binarized "
            "model with the book's engine (bnnbook.engine.packed)."
        ) from error
    try:
        return lce.convert_keras_model(model)
    except Exception as error:  # LCE raises ValueError, RuntimeError or MLIR errors
        raise ConversionError(
            f"Larq Compute Engine could not convert {model.name!r}: {error}. LCE "
            "supports QuantConv2D/QuantDense with ste_sign quantizers and the "
            "standard Keras layers TensorFlow Lite supports; see "
            "https://docs.larq.dev/compute-engine/."
        ) from error


#: NumPy's type for each TensorFlow Lite tensor type a constant may have.
_DTYPES = {
    "FLOAT32": np.float32, "FLOAT16": np.float16, "INT64": np.int64, "INT32": np.int32,
    "INT16": np.int16, "INT8": np.int8, "UINT8": np.uint8, "BOOL": np.bool_,
}


@dataclasses.dataclass(frozen=True, eq=False)
class Operator:
    """One operator of a TensorFlow Lite flatbuffer, and the constants it reads.

    Attributes:
        name: builtin op name (``CONV_2D``) or custom op name (``LceBconv2d``).
        weights: for each constant input tensor, ``(dtype, shape)``.
        weight_bytes: bytes of all constant inputs (weights, biases, multipliers).
        constants: the constant input tensors themselves, as NumPy arrays of their
            shapes (LCE's packed weights are ``int32`` words).
    """

    name: str
    weights: tuple[tuple[str, tuple[int, ...]], ...]
    weight_bytes: int
    constants: tuple[np.ndarray, ...]


def operators(flatbuffer: bytes) -> list[Operator]:
    """The operators of the main subgraph of a flatbuffer, in execution order."""
    model = schema.ModelT.InitFromPackedBuf(bytearray(flatbuffer), 0)
    graph = model.subgraphs[0]
    found = []
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        name = code.customCode.decode() if code.customCode else _BUILTIN_NAMES[builtin]
        weights, arrays = [], []
        for index in op.inputs:
            if index < 0:
                continue
            tensor = graph.tensors[index]
            data = model.buffers[tensor.buffer].data
            if data is not None and len(data):
                dtype = _TYPE_NAMES[tensor.type]
                shape = tuple(int(d) for d in tensor.shape)
                weights.append((dtype, shape))
                raw = np.frombuffer(bytes(data), _DTYPES.get(dtype, np.uint8))
                arrays.append(raw.reshape(shape) if dtype in _DTYPES else raw)
        size = sum(a.nbytes for a in arrays)
        found.append(Operator(name, tuple(weights), size, tuple(arrays)))
    return found


def weight_bytes(flatbuffer: bytes) -> int:
    """Bytes of constant data (weights, biases, fused batch-norm factors) in a
    flatbuffer: what one inference must read besides its activations."""
    return sum(op.weight_bytes for op in operators(flatbuffer))


def dense_as_conv(model: tf.keras.Sequential) -> tf.keras.Sequential:
    """The same Sequential model with every ``QuantDense`` written as a ``QuantConv2D``.

    ``Flatten`` then ``QuantDense(n)`` on an ``h x w x c`` map computes what
    ``QuantConv2D(n, (h, w), padding="valid")`` computes on the map itself, with the
    dense kernel reshaped to ``(h, w, c, n)``; a later ``QuantDense(n)`` on the
    resulting ``1 x 1`` map is a ``1 x 1`` convolution. A final ``Flatten`` restores the
    output shape (a model without dense layers comes back as it was). Weights are
    copied, so the outputs are the same.
    """
    layers, weights = [], []
    grid, rewritten = (1, 1), False
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.Flatten):
            grid = tuple(layer.input_shape[1:3])
            continue
        if isinstance(layer, lq.layers.QuantDense):
            config = layer.get_config()
            units = config.pop("units")
            conv = lq.layers.QuantConv2D(units, grid, padding="valid", **config)
            kernel, *rest = layer.get_weights()
            layers.append(conv)
            weights.append([kernel.reshape(*grid, -1, units), *rest])
            grid, rewritten = (1, 1), True
            continue
        config = layer.get_config()
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            # channels, also where a dense layer's output had axis 1
            config["axis"] = -1
        layers.append(type(layer).from_config(config))
        weights.append(layer.get_weights())
    flatten = [tf.keras.layers.Flatten()] if rewritten else []
    converted = tf.keras.Sequential(
        [tf.keras.Input(model.input_shape[1:]), *layers, *flatten],
        name=f"{model.name}_conv_only",
    )
    for layer, values in zip(converted.layers, weights):
        layer.set_weights(values)
    return converted
