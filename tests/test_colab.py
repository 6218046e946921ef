"""A Colab-like runtime: numpy 2, a recent TensorFlow with Keras 3, no helper package.

The test builds that environment in a fresh virtual environment, fakes Colab's
``google.colab`` module (imported, with numpy, before the first cell runs, as in Colab),
installs the helper from this checkout instead of the repository URL, and executes
chapter 1 with its own setup cell: the first run must replace numpy 2 and restart the
runtime, saying so; the second must run the whole chapter. A last step checks that the
stack the setup cell installed converts a model with LCE and runs it in LCE's
interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml

from conftest import ROOT

#: What Colab preinstalls that matters here (Colab's images of 2025-2026).
COLAB_PACKAGES = [
    "tensorflow==2.20.0",
    "numpy==2.0.2",
    "matplotlib",
    "ipykernel",
    "nbclient",
    "nbformat",
]
CHAPTER = ROOT / "book" / "01_data.ipynb"
_REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
#: The setup cell's install spec (checked against _config.yml by test_chapters.py).
REPOSITORY_SPEC = f"bnnbook @ git+{_REPOSITORY['url']}@{_REPOSITORY['branch']}"

DRIVER = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    notebook_path, repository_spec, local_spec = sys.argv[1:4]
    runs = []
    for attempt in (1, 2):
        nb = nbformat.read(notebook_path, 4)
        for cell in nb.cells:
            cell.source = cell.source.replace(repository_spec, local_spec)
        client = NotebookClient(nb, timeout=900, kernel_name="python3")
        try:
            client.execute()
            outcome = "completed"
        except DeadKernelError:
            outcome = "kernel restarted"
        except Exception as error:
            outcome = f"failed: {type(error).__name__}: {str(error)[-2000:]}"
        setup = next(c for c in nb.cells if c.cell_type == "code")
        text = "".join(o.get("text", "") for o in setup.get("outputs", []))
        runs.append({"outcome": outcome, "setup_output": text[-2000:]})
        if outcome == "completed":
            break
    print(json.dumps(runs))
""")

LCE_CHECK = textwrap.dedent("""
    import bnnbook, numpy as np, larq_compute_engine as lce
    from bnnbook.models import binary_model
    from bnnbook.convert import dense_as_conv, to_lce
    model = dense_as_conv(binary_model())
    x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    out = lce.testing.Interpreter(to_lce(model)).predict(x)
    # Compare probabilities, not argmax: an untrained BNN's binary logits tie often.
    np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-4)
    print("numpy", np.__version__, "LCE interpreter OK")
""")


@pytest.fixture(scope="module")
def colab(tmp_path_factory, mnist_dir):
    root = tmp_path_factory.mktemp("colab")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *COLAB_PACKAGES], check=True
    )
    site = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stub = os.path.join(site, "google", "colab")
    os.makedirs(stub, exist_ok=True)
    with open(os.path.join(stub, "__init__.py"), "w") as f:
        f.write(
            '"""Stand-in for Colab\'s package: numpy loaded before the first cell."""\n'
            "import numpy\n"
        )
    startup = root / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "TF_USE_LEGACY"))
    }
    env.update(
        PATH=f"{venv / 'bin'}:{env['PATH']}",
        IPYTHONDIR=str(root / "ipython"),
        BNNBOOK_MNIST_DIR=str(mnist_dir),
    )  # a Colab user would let Keras download
    # pip builds a local project in its own folder: give it a copy, not this checkout.
    source = root / "bnnbook-source"
    source.mkdir()
    for name in ("bnnbook", "pyproject.toml", "README.md"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, source / name)
    return python, env, source


def test_fresh_colab_runtime_sees_numpy_2_and_keras_3(colab):
    python, env, _ = colab
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import numpy, tensorflow as tf; print(numpy.__version__, "
            "tf.keras.__name__)",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    numpy_version, keras = probe.stdout.split()
    assert numpy_version.startswith("2.") and keras.startswith("keras.")


def test_chapter_runs_after_one_automatic_restart(colab):
    python, env, source = colab
    driver = subprocess.run(
        [
            str(python),
            "-c",
            DRIVER,
            str(CHAPTER),
            REPOSITORY_SPEC,
            f"bnnbook @ file://{source}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=CHAPTER.parent,
        timeout=1800,
    )
    assert driver.returncode == 0, driver.stderr[-3000:]
    runs = json.loads(driver.stdout.strip().splitlines()[-1])
    assert runs[0]["outcome"] == "kernel restarted", runs
    assert "Restarting the runtime now" in runs[0]["setup_output"]
    assert len(runs) == 2 and runs[1]["outcome"] == "completed", runs

    check = subprocess.run(
        [str(python), "-c", LCE_CHECK],
        capture_output=True,
        text=True,
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=600,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    assert check.stdout.startswith("numpy 1."), check.stdout


def test_tf_keras_requirement_matches_tensorflow_minor_version():
    from bnnbook.colab import tf_keras_requirement

    assert tf_keras_requirement("2.19.0") == "tf-keras~=2.19.0"
    assert tf_keras_requirement("2.21.0rc1") == "tf-keras~=2.21.0"
