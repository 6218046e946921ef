"""Set up a Colab runtime for a chapter: Keras 2, Larq, LCE, and numpy 1.x.

Colab preinstalls TensorFlow with Keras 3 and numpy 2. Larq needs Keras 2 (the
``tf-keras`` package of TensorFlow's minor version) and declares ``numpy<2``; the LCE
interpreter fails at predict time under numpy 2. This module uses only the standard
library, so it runs before TensorFlow or numpy is imported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from importlib import metadata


def tf_keras_requirement(tensorflow_version: str) -> str:
    """The pip requirement for the tf-keras matching a TensorFlow version.

    >>> tf_keras_requirement("2.19.0")
    'tf-keras~=2.19.0'
    """
    major, minor = tensorflow_version.split(".")[:2]
    return f"tf-keras~={major}.{minor}.0"


def requirements() -> list[str]:
    """What a chapter needs on top of Colab's TensorFlow (read without importing it)."""
    return [
        tf_keras_requirement(metadata.version("tensorflow")),
        "larq==0.14.0",
        "larq-compute-engine==0.16.0",
        "numpy<2",
    ]


def numpy_changed() -> bool:
    """True if the numpy on disk is not the one this process has already imported."""
    loaded = sys.modules.get("numpy")
    return loaded is not None and loaded.__version__ != metadata.version("numpy")


def install_stack(restart: bool = True) -> None:
    """Install :func:`requirements` with pip and select Keras 2 for this process.

    If that replaced an already-imported numpy 2 with numpy 1.x, the process must
    restart to use it: with ``restart=True`` this kills the kernel (Colab restarts the
    runtime by itself) after saying so; run the notebook again from the top.
    """
    subprocess.check_call(
        [sys.executable, "-m", "pip", "install", "--quiet", *requirements()]
    )
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    if numpy_changed():
        print(
            "numpy was replaced by numpy 1.x (Larq and the LCE interpreter need it), "
            "but this runtime had already loaded numpy 2. Restarting the runtime "
            "now: when it reconnects, run the notebook again from the top (Runtime > "
            "Run all).",
            flush=True,
        )
        if restart:
            time.sleep(1)  # let the message reach the notebook before the kernel dies
            os.kill(os.getpid(), signal.SIGKILL)
