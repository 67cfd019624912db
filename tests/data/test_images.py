"""Image data: the real Fashion-MNIST from Debian's package, IDX parsing, digits."""

import gzip

import numpy as np
import pytest

from hwcodesign.config import ImageDataConfig
from hwcodesign.data.images import FASHION_MNIST_DIR, load_images, read_idx
from hwcodesign.errors import DataNotFoundError


def test_read_idx(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in data.shape) + data.tobytes()
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), data)


@pytest.mark.skipif(not FASHION_MNIST_DIR.is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_fashion_mnist_is_the_real_dataset():
    ds = load_images(ImageDataConfig(dataset="fashion_mnist"))
    assert ds.x_train.shape == (54000, 1, 28, 28) and ds.x_val.shape == (6000, 1, 28, 28)
    assert ds.x_test.shape == (10000, 1, 28, 28)
    assert ds.counts()["test"] == {c: 1000 for c in ds.classes}  # the official test split
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert ds.classes[9] == "Ankle boot"


def test_digits_and_limits():
    ds = load_images(ImageDataConfig(dataset="digits", train_limit=100, test_limit=50))
    assert ds.x_train.shape == (100, 1, 8, 8) and len(ds.y_test) == 50
    assert ds.x_train.max() <= 1.0


def test_missing_fashion_mnist_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError, match="dataset-fashion-mnist"):
        load_images(ImageDataConfig(dataset="fashion_mnist", path=tmp_path))
