"""Make ``tf.keras`` mean Keras 2 (``tf_keras``), the API Larq is written against.

TensorFlow 2.16 and newer resolve ``tf.keras`` to Keras 3 unless the environment
variable ``TF_USE_LEGACY_KERAS`` is ``1`` when ``tf.keras`` is first touched. Larq 0.14
fails to import under Keras 3 (``AttributeError: ... has no attribute
'LocallyConnected1D'``).
"""

from __future__ import annotations

import os
import sys


class Keras3Error(RuntimeError):
    """TensorFlow is already using Keras 3, so Larq cannot work in this process."""


def use_legacy_keras() -> None:
    """Select Keras 2 for TensorFlow, or explain why this process cannot have it.

    Sets ``TF_USE_LEGACY_KERAS=1``. TensorFlow reads it once, when it is imported; if
    TensorFlow is already imported, this checks that it chose Keras 2.

    Raises:
        Keras3Error: ``tf.keras`` is already Keras 3 in this process, or the
            ``tf-keras`` package is missing.
    """
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return  # TensorFlow will read the variable when it is first imported.
    if not _is_keras_2(tf):
        raise Keras3Error(
            f"TensorFlow {tf.__version__} was imported before bnnbook, without "
            "TF_USE_LEGACY_KERAS=1, so its tf.keras is Keras 3; Larq needs Keras 2 "
            "(the tf-keras package) and cannot work in this process. Fix: restart the "
            "kernel (or Python), then run `import bnnbook` before `import tensorflow` "
            "or `import larq`. Alternatively set the environment variable "
            "TF_USE_LEGACY_KERAS=1 before starting Python."
        )


def _is_keras_2(tf) -> bool:
    """Whether the imported TensorFlow uses Keras 2 for ``tf.keras``."""
    if getattr(tf, "_tf_uses_legacy_keras", None) is False:  # TF >= 2.16 chose Keras 3
        return False
    try:
        module = tf.keras.Sequential.__module__
    except ImportError as error:  # TF_USE_LEGACY_KERAS=1 but tf-keras is not installed
        minor = ".".join(tf.__version__.split(".")[:2])
        raise Keras3Error(
            "Larq needs Keras 2, but the tf-keras package is missing. Fix: `pip "
            f"install tf-keras~={minor}.0` (the same minor version as TensorFlow "
            f"{tf.__version__}), then restart the kernel."
        ) from error
    # Keras 2: tf_keras.src.engine.sequential (keras.src.engine.* before TF 2.16);
    # Keras 3: keras.src.models.sequential.
    return module.startswith("tf_keras") or ".engine." in module
