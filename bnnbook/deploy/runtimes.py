"""How each engine runs: one ``predict(images) -> scores`` function per library, and
one :class:`bnnbook.deploy.interface.Engine` per engine (its file, how the file is
built, how it runs), registered in :data:`bnnbook.deploy.registry.ENGINES`.

- Keras: the model's forward pass compiled with ``tf.function`` (Larq's QAT model
  computes in float32 with sign functions: a simulation, not binary arithmetic).
- TensorFlow Lite: LiteRT's interpreter (``ai_edge_litert``, TensorFlow Lite's runtime
  under its new name; TensorFlow's own ``tf.lite.Interpreter`` is deprecated) on a
  float or int8 flatbuffer, XNNPACK by default. TensorFlow's converter still writes
  the files.
- LCE: Larq Compute Engine's interpreter. Its converted models take one image at a time,
  so a batch runs as a loop over images inside the interpreter's ``predict``.
- ONNX Runtime: an ONNX model (exported from PyTorch, chapter 7) on its CPU provider.

The book's own engine needs none of these (:mod:`bnnbook.engine.packed`). Each library
is imported by the function that uses it, so a process that measures one engine's
memory loads that engine's library alone. Every ``predict`` takes channels-last
images, ``(batch, 28, 28, 1)`` float32.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bnnbook.deploy.interface import Config, Engine, Predict
from bnnbook.quiet import native_output


def keras_predict(model) -> Predict:
    """``model``'s inference-mode forward pass as one compiled TensorFlow graph, traced
    once for any batch size (``model``: a ``tf.keras.Model``)."""
    import tensorflow as tf

    signature = [tf.TensorSpec([None, *model.input_shape[1:]], tf.float32)]
    forward = tf.function(lambda x: model(x, training=False), input_signature=signature)
    return lambda images: forward(tf.constant(images)).numpy()


def tflite_predict(flatbuffer: bytes, batch: int, threads: int) -> Predict:
    """LiteRT's TensorFlow Lite interpreter for ``batch`` images, on ``threads``
    threads."""
    from ai_edge_litert.interpreter import Interpreter  # no TensorFlow import

    with native_output():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
        interpreter = Interpreter(model_content=flatbuffer, num_threads=threads)
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


class Keras(Engine):
    """Keras 2 itself on an ``.h5`` file: a QAT model computes in float32 with sign
    functions, a simulation, not binary arithmetic."""

    def prepare(self, threads: int) -> None:
        import tensorflow as tf  # its pools must be sized before any op runs

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import larq  # noqa: F401  (registers Larq's layers for load_model)

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.artifacts import save_h5

        save_h5(model, path)
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        import tensorflow as tf

        return keras_predict(tf.keras.models.load_model(config.path, compile=False))


class FloatTFLite(Engine):
    """TensorFlow Lite (LiteRT's interpreter) on a float32 flatbuffer, XNNPACK by
    default."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.deploy.convert import to_tflite

        Path(path).write_bytes(to_tflite(model))
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        return tflite_predict(Path(config.path).read_bytes(), batch, config.threads)

    def sized_per_batch(self) -> bool:
        return True


class Int8TFLite(FloatTFLite):
    """TensorFlow Lite on a full-integer flatbuffer, calibrated on training images."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.deploy.convert import to_int8

        if calibration is None:
            raise ValueError("an int8 file needs calibration images: pass training "
                             "images as calibration=")
        Path(path).write_bytes(to_int8(model, calibration))
        return Path(path)


class LCE(Engine):
    """Larq Compute Engine on its flatbuffer: binary convolutions bit-packed. Dense
    layers are written as convolutions first, the form LCE 0.16 binarizes
    (:func:`bnnbook.deploy.convert.dense_as_conv`)."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.deploy.convert import dense_as_conv, to_lce

        Path(path).write_bytes(to_lce(dense_as_conv(model)))
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        return lce_predict(Path(config.path).read_bytes(), config.threads,
                           config.indirect_bgemm, config.xnnpack)


class ONNX(Engine):
    """ONNX Runtime's CPU provider on an ONNX file exported from PyTorch (chapter 7)."""

    def load(self, config: Config, batch: int) -> Predict:
        return onnx_predict(Path(config.path).read_bytes(), config.threads)


class BookEngine(Engine):
    """The book's own engine (:mod:`bnnbook.engine`): XNOR-popcount compiled by Numba
    on a packed model. It returns logits, not probabilities: the same argmax."""

    def write(self, model, path: Path, calibration: np.ndarray | None = None) -> Path:
        from bnnbook.engine import packed

        packed.save(packed.pack_model(model), path)
        return Path(path)

    def load(self, config: Config, batch: int) -> Predict:
        from bnnbook.engine import packed  # Numba, and no TensorFlow

        model = packed.load(config.path)
        return lambda images: packed.predict(model, images, config.threads)
