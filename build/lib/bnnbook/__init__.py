"""Helpers for the book *Binarized Neural Networks, Hands-On*.

Importing this package makes TensorFlow use Keras 2 (``tf_keras``), which Larq needs:
it sets ``TF_USE_LEGACY_KERAS=1`` before TensorFlow is first imported, and raises
:class:`bnnbook.keras2.Keras3Error` if TensorFlow already committed to Keras 3.
Import ``bnnbook`` first, before ``tensorflow`` and ``larq``.
"""

from bnnbook.keras2 import Keras3Error, use_legacy_keras

use_legacy_keras()

__all__ = ["Keras3Error", "use_legacy_keras"]
__version__ = "0.1.0"
