"""Set up a Colab runtime for a chapter, or stop it with one line saying what to do.

Colab preinstalls TensorFlow with Keras 3 and numpy 2. Larq needs Keras 2 (the
``tf-keras`` package of TensorFlow's minor version) and declares ``numpy<2``. Larq
Compute Engine (LCE) 0.16, its last release, has wheels for Python 3.10-3.12 only, and
its interpreter needs numpy 1.x. So the set-up depends on the runtime's Python:

- Python 3.10-3.12 (Colab's runtime version ``2026.07``, say): tf-keras, Larq, LCE and
  numpy 1.x, as the book is pinned; numpy 2 already loaded means one restart.
- Python 3.13 and later (Colab's default runtime since August 2026): tf-keras and Larq
  without its ``numpy<2`` pin (it trains under numpy 2), no LCE. A chapter that needs
  LCE stops in its setup cell with one line: choose runtime version 2026.07.

This module uses only the standard library, so it runs before TensorFlow or numpy is
imported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from importlib import metadata

#: The newest Python that Larq Compute Engine 0.16 (its last release) has wheels for.
LCE_NEWEST_PYTHON = (3, 12)

#: Colab's runtime version with a Python that LCE installs on (Runtime > Change runtime
#: type > Runtime version).
LCE_RUNTIME = "2026.07"

LARQ = "larq==0.14.0"

#: LiteRT, TensorFlow Lite's runtime packaged on its own: it runs the float and int8
#: ``.tflite`` files (TensorFlow's ``tf.lite.Interpreter`` is deprecated).
LITERT = "ai-edge-litert==2.3.0"

#: The chapters that run on Colab's default runtime (Python 3.13, no LCE); the others
#: stop there in their setup cell (:func:`lce_message`).
RUN_WITHOUT_LCE = (1, 2, 3)

#: Set to a version such as ``3.13`` to take that Python's path on another Python: the
#: Colab-like test runs the default runtime's package set on this machine's Python.
PYTHON_ENV_VAR = "BNNBOOK_COLAB_PYTHON"


class RuntimeNeedsLCE(RuntimeError):
    """This chapter needs Larq Compute Engine, which this runtime's Python cannot
    install. Shown by IPython as its message alone, without a traceback; it still
    stops *Run all* at the setup cell."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def runtime_python() -> tuple[int, int]:
    """The Python whose set-up path to take: ``$BNNBOOK_COLAB_PYTHON`` if set, else
    this interpreter's (major, minor)."""
    override = os.environ.get(PYTHON_ENV_VAR)
    if override:
        major, minor = override.split(".")[:2]
        return int(major), int(minor)
    return sys.version_info[:2]


def tf_keras_requirement(tensorflow_version: str) -> str:
    """The pip requirement for the tf-keras matching a TensorFlow version.

    >>> tf_keras_requirement("2.19.0")
    'tf-keras~=2.19.0'
    """
    major, minor = tensorflow_version.split(".")[:2]
    return f"tf-keras~={major}.{minor}.0"


def requirements(python: tuple[int, int], tensorflow: str) -> list[str]:
    """What a chapter needs on top of Colab's TensorFlow (version ``tensorflow``),
    numba, matplotlib and psutil, on a runtime with this ``python``. Larq itself goes
    in with ``--no-deps`` where this list has no numpy pin."""
    keras2 = tf_keras_requirement(tensorflow)
    if python > LCE_NEWEST_PYTHON:  # Larq without its deps: its numpy<2 pin cannot hold
        return [keras2, LITERT, "terminaltables>=3.1", "packaging"]
    return [keras2, LITERT, LARQ, "larq-compute-engine==0.16.0", "numpy<2"]


def lce_message(python: tuple[int, int]) -> str:
    """The one line a chapter that needs LCE stops with on this ``python``."""
    return (
        f"This chapter needs Larq Compute Engine, which has no wheel for Python "
        f"{python[0]}.{python[1]} (Colab's default runtime): choose Runtime > Change "
        f"runtime type > Runtime version {LCE_RUNTIME} (Python 3.12), save, then "
        f"Runtime > Run all. Chapters {_listed(RUN_WITHOUT_LCE)} run on the default "
        "runtime."
    )


def _listed(numbers: tuple[int, ...]) -> str:
    """``(1, 2, 3, 8)`` as ``"1, 2, 3 and 8"``."""
    words = [str(n) for n in numbers]
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


def numpy_changed() -> bool:
    """True if the numpy on disk is not the one this process has already imported."""
    loaded = sys.modules.get("numpy")
    return loaded is not None and loaded.__version__ != metadata.version("numpy")


def pip_install(*args: str) -> None:
    """``pip install --quiet`` into this interpreter."""
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])


def install_stack(
    needs_lce: bool, extras: tuple[str, ...] = (), restart: bool = True
) -> None:
    """Install what a chapter needs on this Colab runtime, with the pip requirements
    ``extras`` of that chapter alone, and select Keras 2.

    On a Python LCE cannot install on, a chapter that ``needs_lce`` stops here with
    :class:`RuntimeNeedsLCE` before installing anything; other chapters get tf-keras
    and Larq (without its numpy pin). Elsewhere this installs the book's stack with
    numpy 1.x; if that replaced an already-imported numpy 2, the process must restart
    to use it: with ``restart=True`` this kills the kernel (Colab restarts the runtime
    by itself) after saying so; run the notebook again from the top.
    """
    python = runtime_python()
    if python > LCE_NEWEST_PYTHON and needs_lce:
        raise RuntimeNeedsLCE(lce_message(python))
    # One resolve for all, so that no extra brings numpy 2 back where it must go.
    pip_install(*requirements(python, metadata.version("tensorflow")), *extras)
    if python > LCE_NEWEST_PYTHON:
        pip_install("--no-deps", LARQ)
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
