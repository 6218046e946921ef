"""One ``predict(images) -> probabilities`` function per inference engine.

- Keras: the model's forward pass compiled with ``tf.function`` (Larq's QAT model
  computes in float32 with sign functions: a simulation, not binary arithmetic).
- TensorFlow Lite: ``tf.lite.Interpreter`` on a float flatbuffer (XNNPACK by default).
- LCE: Larq Compute Engine's interpreter. Its converted models take one image at a time,
  so a batch runs as a loop over images inside the interpreter's ``predict``.
- ONNX Runtime: an ONNX model (exported from PyTorch, chapter 7) on its CPU provider.

The book's own engine needs none of these (:mod:`bnnbook.engine.packed`). Each library
is imported by the function that uses it, so a process that measures one engine's
memory loads that engine's library alone. Every ``predict`` takes channels-last
images, ``(batch, 28, 28, 1)`` float32.
"""

from __future__ import annotations

import numpy as np

from bnnbook.deploy.registry import Predict
from bnnbook.quiet import native_output


def keras_predict(model) -> Predict:
    """``model``'s inference-mode forward pass as one compiled TensorFlow graph, traced
    once for any batch size (``model``: a ``tf.keras.Model``)."""
    import tensorflow as tf

    signature = [tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)]
    forward = tf.function(lambda x: model(x, training=False), input_signature=signature)
    return lambda images: forward(tf.constant(images)).numpy()


def tflite_predict(flatbuffer: bytes, batch: int, threads: int) -> Predict:
    """A TensorFlow Lite interpreter for ``batch`` images, on ``threads`` threads."""
    import tensorflow as tf

    with native_output():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
        interpreter = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
        source = interpreter.get_input_details()[0]
        interpreter.resize_tensor_input(source["index"], [batch, *source["shape"][1:]])
        interpreter.allocate_tensors()
    target = interpreter.get_output_details()[0]["index"]

    def predict(images: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(source["index"], images)
        interpreter.invoke()
        return interpreter.get_tensor(target)

    return predict


def lce_predict(
    flatbuffer: bytes, threads: int, indirect_bgemm: bool = False, xnnpack: bool = False
) -> Predict:
    """LCE's interpreter with the chosen kernels.

    Args:
        indirect_bgemm: use the indirect binary GEMM kernel for ``LceBconv2d``
            instead of the default (im2col + BGEMM) one.
        xnnpack: run the float ops (first layer, quantize/dequantize) through XNNPACK.
    """
    import larq_compute_engine as lce  # 0.3 s: only in the processes that run LCE

    with native_output():  # its XNNPACK delegate announces itself on stderr
        interpreter = lce.testing.Interpreter(
            flatbuffer,
            num_threads=threads,
            use_reference_bconv=False,
            use_indirect_bgemm=indirect_bgemm,
            use_xnnpack=xnnpack,
        )
    return interpreter.predict


def onnx_predict(model: bytes, threads: int) -> Predict:
    """ONNX Runtime's CPU session for ``model`` (the serialized ONNX file) on
    ``threads`` threads. A model exported from PyTorch expects channels first,
    ``(batch, 1, 28, 28)``: the images are transposed to that layout when the model's
    input asks for it. Export with a dynamic batch dimension to run batches of any size.
    """
    import onnxruntime as ort  # chapter 7's stack: imported only when used

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    source = session.get_inputs()[0]
    channels_first = len(source.shape) == 4 and source.shape[1] == 1

    def predict(images: np.ndarray) -> np.ndarray:
        if channels_first:
            images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
        return session.run(None, {source.name: images})[0]

    return predict
