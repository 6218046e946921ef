"""Every deployed form of the book's two models (:mod:`bnnbook.deploy.forms`), and the
engine configs chapter 4 compares on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bnnbook.deploy import forms
from bnnbook.deploy.registry import ENGINES
from bnnbook.models import binary_model, float_model


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    return forms.write_forms(
        float_model(), binary_model(), images, tmp_path_factory.mktemp("deploy")
    )


def test_write_forms_writes_every_form(paths):
    assert set(paths) == {*forms.FORMS, forms.DENSE_IN_FLOAT}
    for form, (name, key, _) in forms.FORMS.items():
        assert paths[form].name == name and paths[form].suffix == ENGINES[key].suffix
    assert all(path.stat().st_size > 0 for path in paths.values())
    # bit-packed weights: the binarized network's file is over 10x smaller
    assert (
        paths["binary_lce_conv"].stat().st_size
        < paths["float_tflite"].stat().st_size / 10
    )
    # LCE 0.16 leaves dense layers in float: that file is the larger
    assert (
        paths[forms.DENSE_IN_FLOAT].stat().st_size
        > paths["binary_lce_conv"].stat().st_size
    )


def test_engine_configs_cover_every_engine_per_thread_count(paths):
    threads = (1, 2)
    configs = forms.engine_configs(paths, threads)
    per_thread = {n: [c for c in configs if c.threads == n] for n in threads}
    keras = [c for c in configs if c.engine == "keras"]
    # the two Keras models, the slowest to load, at the first thread count only
    assert [c.path for c in keras] == [
        str(paths["float_keras"]), str(paths["binary_keras"])
    ]
    assert {c.threads for c in keras} == {threads[0]}
    # every other config at every thread count, under the same labels
    others = [[c.label for c in group if c.engine != "keras"]
              for group in per_thread.values()]
    assert others[0] == others[1] and len(configs) == len(keras) + 2 * len(others[0])
    assert {c.engine for c in configs} == {"keras", "float", "int8", "lce", "bnnbook"}
    for group in per_thread.values():  # forked.ratio_of finds them by label
        assert len({c.label for c in group}) == len(group)
    written = {str(path) for path in paths.values()}
    for config in configs:
        assert config.path in written
        assert Path(config.path).suffix == ENGINES[config.engine].suffix
    lce = {(c.path, c.indirect_bgemm, c.xnnpack) for c in per_thread[1]
           if c.engine == "lce"}
    conv = str(paths["binary_lce_conv"])
    assert lce == {  # LCE's kernels compared on one file, and the dense-in-float file
        (conv, False, False), (conv, True, False), (conv, True, True),
        (str(paths[forms.DENSE_IN_FLOAT]), True, True),
    }
