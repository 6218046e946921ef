"""Importing bnnbook selects Keras 2, or says exactly what to do when it is too late."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_import_first_gives_keras_2_and_larq():
    result = _run(
        "import bnnbook, tensorflow as tf, larq\nprint(tf.keras.Sequential.__module__)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tf_keras.")


@pytest.mark.parametrize(
    "code",
    [
        "import tensorflow as tf\nimport bnnbook",
        "import tensorflow as tf\ntf.keras.layers.Dense\nimport bnnbook",
    ],
    ids=["tensorflow-imported", "keras-3-used"],
)
def test_tensorflow_imported_first_raises_a_clear_error(code):
    result = _run(code)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("bnnbook.keras2.Keras3Error: TensorFlow 2.")
    assert "tf.keras is Keras 3" in last_line
    assert "restart the kernel" in last_line and "`import bnnbook` before" in last_line
