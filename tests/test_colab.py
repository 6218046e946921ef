"""Colab as it is: the default runtime's packages, and what Python 3.13 can install.

Colab's default runtime (since August 2026) has Python 3.13 with numpy 2.1.3,
TensorFlow 2.20, tf_keras 2.20.1 and Keras 3 (``FACTS.md``). No Python 3.13 can be
installed on the book's machines, so this test splits the question in two:

- **What installs there**: pip's resolver, asked for Python 3.13 wheels
  (``--python-version 3.13 --only-binary :all: --dry-run``), must find exactly what a
  chapter's setup cell installs on that Python, and must find no Larq Compute Engine
  (the reason chapters that need it stop). The same for Python 3.12, the runtime version
  ``2026.07``, with each chapter's own extras.
- **What runs there**: that package set on this machine's Python, with Colab's
  ``google.colab`` module faked (imported, with numpy, before the first cell runs) and
  ``BNNBOOK_COLAB_PYTHON=3.13`` so the setup cells take the Python 3.13 path. Chapters
  1-3 run to their end, loading the models this test run trained (the test runs after
  the chapters); every other chapter must stop in its setup cell with one line. A few
  training steps check Larq under numpy 2 separately. Last, chapter 1 takes the Python
  3.12 path: it installs LCE with numpy 1.x, restarts the runtime once, then runs, and
  LCE's interpreter agrees with Keras.

The helper is installed from this checkout instead of the repository URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml

from bnnbook import colab
from conftest import ROOT

#: Colab's default runtime (FACTS.md), less Python 3.13 itself and PyTorch (the
#: chapters that need PyTorch need LCE too, so they stop before importing it).
DEFAULT_RUNTIME = {
    "tensorflow": "2.20.0",
    "tf-keras": "2.20.1",
    "keras": "3.13.2",
    "numpy": "2.1.3",
    "numba": "0.61.2",
    "matplotlib": "3.10.0",
    "ipykernel": "6.17.1",
}
#: Runtime version 2026.07 (Python 3.12): what its setup cells resolve against.
RUNTIME_2026_07 = {"tensorflow": "2.20.0"}
CHAPTERS = sorted((ROOT / "book").glob("0*.ipynb"))
RUN_ON_DEFAULT = [
    path for path in CHAPTERS if int(path.name[:2]) in colab.RUN_WITHOUT_LCE
]
_REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
#: The setup cell's install spec (checked against _config.yml by test_chapters.py).
REPOSITORY_SPEC = f"bnnbook @ git+{_REPOSITORY['url']}@{_REPOSITORY['branch']}"

DRIVER = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    repository_spec, local_spec, *paths = sys.argv[1:]
    report = {}
    for path in paths:
        runs = []
        for attempt in (1, 2):  # a second run only after the kernel died
            nb = nbformat.read(path, 4)
            for cell in nb.cells:
                cell.source = cell.source.replace(repository_spec, local_spec)
            client = NotebookClient(nb, timeout=900, kernel_name="python3")
            run = {"outcome": "completed"}
            try:
                client.execute()
            except DeadKernelError:
                run["outcome"] = "kernel restarted"
            except CellExecutionError:
                run["outcome"] = "stopped"
            except Exception as error:
                run["outcome"] = f"failed: {type(error).__name__}: {error}"[-3000:]
            code = [c for c in nb.cells if c.cell_type == "code"]
            for index, cell in enumerate(code):
                for out in cell.get("outputs", []):
                    if out.output_type == "error":
                        run.update(cell=index, ename=out.ename, evalue=out.evalue,
                                   traceback=out.traceback)
            run["setup_output"] = "".join(
                o.get("text", "") for o in code[0].get("outputs", []))[-2000:]
            printed = "".join(
                o.get("text", "") for c in code for o in c.get("outputs", []))
            run["trained"] = "training it now" in printed
            runs.append(run)
            if run["outcome"] != "kernel restarted":
                break
        report[path] = runs
    print(json.dumps(report))
""")

TRAINING_STEPS = textwrap.dedent("""
    from bnnbook import colab
    colab.install_stack(needs_lce=False)  # as chapters 1-3 do: Larq with numpy 2 kept
    import bnnbook, numpy as np
    from bnnbook.models import binary_model
    from bnnbook.training import Recipe, fit
    x = np.random.default_rng(0).uniform(-1, 1, (256, 28, 28, 1)).astype(np.float32)
    y = np.arange(256) % 10
    history = fit(binary_model(), Recipe(epochs=1, batch_size=32), (x, y), (x, y))
    assert np.isfinite(history["loss"][0]), history
    print("numpy", np.__version__)
""")

LCE_CHECK = textwrap.dedent("""
    import bnnbook, numpy as np, larq_compute_engine as lce
    from bnnbook.models import binary_model
    from bnnbook.deploy.convert import dense_as_conv, to_lce
    model = dense_as_conv(binary_model())
    x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    out = lce.testing.Interpreter(to_lce(model)).predict(x)
    # Compare probabilities, not argmax: an untrained BNN's binary logits tie often.
    np.testing.assert_allclose(out, model.predict(x, verbose=0), atol=1e-4)
    print("numpy", np.__version__, "LCE interpreter OK")
""")


def setup_cell(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])


def extras(path: Path) -> list[str]:
    """The pip requirements a chapter's setup cell passes as ``extras``."""
    found = re.search(r"extras=\((.*?)\)", setup_cell(path), re.S)
    return re.findall(r'"([^"]+)"', found.group(1)) if found else []


def resolve(python: str, *requirements: str) -> subprocess.CompletedProcess:
    """pip's resolver, for wheels of ``python`` only, installing nothing (a target
    folder is how pip takes another Python's version; it stays empty)."""
    with tempfile.TemporaryDirectory() as target:
        return subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet",
             "--ignore-installed", "--only-binary", ":all:", "--python-version",
             python, "--target", target, *requirements],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip


def pins(packages: dict[str, str]) -> list[str]:
    return [f"{name}=={version}" for name, version in packages.items()]


def test_python_3_13_can_install_the_setup_and_cannot_install_lce():
    needed = colab.requirements((3, 13), DEFAULT_RUNTIME["tensorflow"])
    assert not any("numpy" in r or "larq" in r for r in needed)
    found = resolve("3.13", *pins(DEFAULT_RUNTIME), *needed)
    assert found.returncode == 0, found.stderr[-3000:]
    larq = resolve("3.13", "--no-deps", colab.LARQ)
    assert larq.returncode == 0, larq.stderr[-3000:]
    # Why the setup cell differs there: no LCE wheel, and Larq's numpy<2 cannot hold.
    lce = resolve("3.13", "larq-compute-engine==0.16.0")
    assert "No matching distribution found" in lce.stderr, lce.stderr[-3000:]
    pinned = resolve("3.13", colab.LARQ, f"numpy=={DEFAULT_RUNTIME['numpy']}")
    assert pinned.returncode != 0, "Larq with its numpy<2 now installs on 3.13"


#: Chapters by the extras their setup cells install (most install none).
BY_EXTRAS: dict[tuple[str, ...], list[str]] = {}
for _path in CHAPTERS:
    BY_EXTRAS.setdefault(tuple(extras(_path)), []).append(_path.name[:2])


@pytest.mark.parametrize(
    "chapter_extras", BY_EXTRAS, ids=lambda extras: "+".join(BY_EXTRAS[extras])
)
def test_python_3_12_runtime_can_install_each_chapters_setup(chapter_extras):
    needed = colab.requirements((3, 12), RUNTIME_2026_07["tensorflow"])
    found = resolve("3.12", *pins(RUNTIME_2026_07), *needed, *chapter_extras)
    assert found.returncode == 0, found.stderr[-3000:]


def test_a_chapter_needing_lce_stops_before_installing_anything(monkeypatch):
    installed = []
    monkeypatch.setattr(colab, "pip_install", lambda *args: installed.append(args))
    monkeypatch.setenv(colab.PYTHON_ENV_VAR, "3.13")
    with pytest.raises(colab.RuntimeNeedsLCE) as stopped:
        colab.install_stack(needs_lce=True, restart=False)
    assert installed == []
    assert stopped.value._render_traceback_() == [colab.lce_message((3, 13))]
    assert f"Runtime version {colab.LCE_RUNTIME}" in str(stopped.value)


def test_chapters_said_to_run_on_the_default_runtime_are_those_without_lce():
    message = colab.lce_message((3, 13))
    assert "Chapters 1, 2 and 3 run on the default runtime" in message
    runs = [path for path in CHAPTERS if "needs_lce=False" in setup_cell(path)]
    assert runs == RUN_ON_DEFAULT


def test_tf_keras_requirement_matches_tensorflow_minor_version():
    assert colab.tf_keras_requirement("2.19.0") == "tf-keras~=2.19.0"
    assert colab.tf_keras_requirement("2.21.0rc1") == "tf-keras~=2.21.0"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory, mnist_dir):
    """The default runtime's packages in a new venv, Colab's module faked, the helper's
    source copied, and this run's trained models in an artifacts folder of its own."""
    root = tmp_path_factory.mktemp("colab")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *pins(DEFAULT_RUNTIME),
         "psutil", "nbclient", "nbformat"],
        check=True,
    )  # fmt: skip
    site = subprocess.run(
        [str(python), "-c",
         "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    stub = Path(site) / "google" / "colab"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text(
        '"""Stand-in for Colab\'s package: numpy loaded before the first cell."""\n'
        "import numpy\n"
    )
    startup = root / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\n")
    artifacts = root / "artifacts"
    artifacts.mkdir()
    for path in (ROOT / "book" / "artifacts").glob("*.*"):
        shutil.copy(path, artifacts)  # models only: ch2 and ch3 load what they find
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "TF_USE_LEGACY"))
    }
    env.update(
        PATH=f"{venv / 'bin'}:{env['PATH']}",
        IPYTHONDIR=str(root / "ipython"),
        BNNBOOK_MNIST_DIR=str(mnist_dir),  # a Colab user would let Keras download
        BNNBOOK_ARTIFACTS=str(artifacts),
        TF_CPP_MIN_LOG_LEVEL="3",
        **{colab.PYTHON_ENV_VAR: "3.13"},
    )
    # pip builds a local project in its own folder: give it a copy, not this checkout.
    # No hyphen in the folder's name: pip 23 (this venv's) takes a name such as
    # "bnnbook-source" for "project-version" and caches the wheel it builds under the
    # folder's URL, so a later run at the same temporary path installed a stale helper.
    source = root / "bnnbook_source"
    source.mkdir()
    for name in ("bnnbook", "pyproject.toml", "README.md"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, source / name)
    return python, env, source


def run_chapters(runtime, paths: list[Path], **env) -> dict[str, list[dict]]:
    python, base, source = runtime
    driver = subprocess.run(
        [str(python), "-c", DRIVER, REPOSITORY_SPEC, f"bnnbook @ file://{source}",
         *map(str, paths)],
        capture_output=True, text=True, env={**base, **env},
        cwd=ROOT / "book", timeout=2400,
    )  # fmt: skip
    assert driver.returncode == 0, driver.stderr[-3000:]
    assert_installed_helper_is_this_checkout(runtime)
    return json.loads(driver.stdout.strip().splitlines()[-1])


def assert_installed_helper_is_this_checkout(runtime) -> None:
    """The helper the setup cells installed has this checkout's code, file by file."""
    python, env, source = runtime
    where = subprocess.run(
        [str(python), "-c", "import bnnbook; print(bnnbook.__path__[0])"],
        capture_output=True, text=True, env=env, cwd=source.parent, check=True,
    ).stdout.strip()  # fmt: skip
    for path in (ROOT / "bnnbook").rglob("*.py"):  # its subpackages too
        name = path.relative_to(ROOT / "bnnbook")
        installed = Path(where) / name
        assert installed.is_file(), f"{name} was not installed: a package not found?"
        assert installed.read_bytes() == path.read_bytes(), (
            f"{installed} differs from this checkout's {name}: a cached wheel?"
        )


def run_python(runtime, code: str) -> str:
    """What ``code`` prints, run by the runtime's Python; it must succeed."""
    python, env, _ = runtime
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, env=env, timeout=600,
        cwd=ROOT,  # the helper of this checkout
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_default_runtime_has_numpy_2_and_keras_3(runtime):
    probe = (
        "import numpy, tensorflow as tf; "
        "print(numpy.__version__, tf.keras.__name__)"
    )
    numpy_version, keras = run_python(runtime, probe).split()
    assert numpy_version == DEFAULT_RUNTIME["numpy"] and keras.startswith("keras.")


def test_on_the_default_runtime_chapters_run_or_stop_in_their_setup_cell(runtime):
    report = run_chapters(runtime, CHAPTERS)
    message = colab.lce_message((3, 13))
    for path in CHAPTERS:
        runs = report[str(path)]
        assert len(runs) == 1, (path.name, runs)  # numpy stays: no restart
        if path in RUN_ON_DEFAULT:
            assert runs[0]["outcome"] == "completed", (path.name, runs)
            assert not runs[0]["trained"], f"{path.name} trained: load this run's model"
        else:
            stop = runs[0]
            assert (stop["outcome"], stop.get("cell")) == ("stopped", 0), (path, stop)
            assert stop["ename"] == "RuntimeNeedsLCE", (path.name, stop)
            assert stop["traceback"] == [message], (path.name, stop)


def test_larq_trains_under_the_default_runtimes_numpy_2(runtime):
    printed = run_python(runtime, TRAINING_STEPS)
    assert f"numpy {DEFAULT_RUNTIME['numpy']}" in printed
    assert re.search(r"epoch 1/1  loss \d", printed), printed


def test_on_python_3_12_a_chapter_restarts_once_for_numpy_1_then_runs(runtime):
    """Runs last: it replaces this venv's numpy 2 with numpy 1.x and installs LCE."""
    chapter = CHAPTERS[0]
    runs = run_chapters(runtime, [chapter], **{colab.PYTHON_ENV_VAR: "3.12"})
    runs = runs[str(chapter)]
    assert runs[0]["outcome"] == "kernel restarted", runs
    assert "Restarting the runtime now" in runs[0]["setup_output"]
    assert len(runs) == 2 and runs[1]["outcome"] == "completed", runs
    assert run_python(runtime, LCE_CHECK).startswith("numpy 1.")
