"""The MNIST loader: right arrays from a verified local copy, clear errors otherwise."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from bnnbook.data import (
    ENV_VAR,
    SHA256,
    MnistError,
    load_mnist,
    prepared,
    read_idx,
    scale_to_pm1,
)


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir)


def test_same_shapes_dtypes_and_order_as_keras(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # The first labels of each split as tf.keras.datasets.mnist.load_data() orders them.
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert abs(x_train.mean() / 255 - 0.1307) < 5e-4


def test_env_var_is_used_and_network_is_never_touched(
    mnist_dir, monkeypatch, no_network
):
    monkeypatch.setenv(ENV_VAR, str(mnist_dir))
    (_, y_train), _ = load_mnist()
    assert len(y_train) == 60000
    assert no_network == []


def _copy(mnist_dir: Path, tmp_path: Path) -> Path:
    for name in SHA256:
        shutil.copy(mnist_dir / f"{name}.gz", tmp_path / f"{name}.gz")
    return tmp_path


def test_raw_files_load_like_gzip(mnist_dir, tmp_path, mnist):
    for name in SHA256:
        (tmp_path / name).write_bytes(
            gzip.decompress((mnist_dir / f"{name}.gz").read_bytes())
        )
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    np.testing.assert_array_equal(y_train, mnist[0][1])
    np.testing.assert_array_equal(x_test, mnist[1][0])


def test_missing_file_names_it(mnist_dir, tmp_path):
    folder = _copy(mnist_dir, tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        MnistError, match=r"t10k-labels-idx1-ubyte\(\.gz\) is missing.*Fix"
    ):
        load_mnist(folder)


def test_missing_folder(tmp_path):
    with pytest.raises(MnistError, match="does not exist. Fix"):
        load_mnist(tmp_path / "nowhere")


def test_corrupt_byte_fails_the_checksum(mnist_dir, tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    data = bytearray(
        gzip.decompress((mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes())
    )
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(
        MnistError, match=r"t10k-labels-idx1-ubyte has SHA-256 .* corrupt.*Fix"
    ):
        read_idx(path)
    assert path.read_bytes() == bytes(data), "the bad file must be left as it was"


def test_truncated_gzip(mnist_dir, tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes((mnist_dir / path.name).read_bytes()[:1000])
    with pytest.raises(
        MnistError, match=r"t10k-labels-idx1-ubyte\.gz is not a readable gzip"
    ):
        read_idx(path)


def test_wrong_size(mnist_dir, tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(
        gzip.decompress((mnist_dir / f"{path.name}.gz").read_bytes())[:5000]
    )
    with pytest.raises(MnistError, match=r"holds 5000 bytes .* has 10008 .*truncated"):
        read_idx(path)


def test_offline_without_local_copy_is_a_clear_error(tmp_path, monkeypatch, no_network):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached download either
    with pytest.raises(MnistError, match=f"MNIST is not available.*{ENV_VAR}") as error:
        load_mnist()
    assert "Traceback" not in str(error.value)
    assert no_network, "the download should have been attempted (and refused)"


def test_scale_to_pm1():
    images = np.array([[[0, 255], [51, 204]]], dtype=np.uint8)
    scaled = scale_to_pm1(images)
    assert scaled.shape == (1, 2, 2, 1) and scaled.dtype == np.float32
    np.testing.assert_allclose(scaled[0, :, :, 0], [[-1, 1], [-0.6, 0.6]], atol=1e-6)
    with pytest.raises(TypeError, match="uint8"):
        scale_to_pm1(images.astype(np.float32))


def test_prepared_scales_every_split_and_holds_out_the_last_training_images(
    mnist, mnist_dir
):
    (x_train, y_train), (x_test, y_test) = mnist
    train, validation, test = prepared(mnist_dir, size=5000)
    assert [x.shape for x, _ in (train, validation, test)] == [
        (55000, 28, 28, 1), (5000, 28, 28, 1), (10000, 28, 28, 1),
    ]
    assert {x.dtype for x, _ in (train, validation, test)} == {np.dtype(np.float32)}
    # pixels 0..255 scaled to [-1, 1]: the darkest -1, the brightest 1
    assert [(x.min(), x.max()) for x, _ in (train, validation, test)] == [(-1, 1)] * 3
    # the validation split is the LAST 5000 training images, in order
    np.testing.assert_array_equal(validation[1], y_train[-5000:])
    np.testing.assert_array_equal(train[1], y_train[:-5000])
    np.testing.assert_array_equal(test[1], y_test)
    np.testing.assert_array_equal(validation[0], scale_to_pm1(x_train[-5000:]))
    np.testing.assert_array_equal(test[0][:100], scale_to_pm1(x_test[:100]))
    smaller, held_out, _ = prepared(mnist_dir, size=1000)
    assert (len(smaller[0]), len(held_out[0])) == (59000, 1000)
