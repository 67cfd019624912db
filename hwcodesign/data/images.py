"""Image datasets: Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package (real,
60k train / 10k test, IDX files) and scikit-learn's 8x8 digits (for fast tests).

Images are returned as float32 in [0, 1], shape (n, 1, H, W) (PyTorch layout).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..config import ImageDataConfig
from ..errors import DataNotFoundError
from .splits import SplitDataset

__all__ = ["load_images", "check_images", "read_idx", "FASHION_MNIST_DIR", "FASHION_CLASSES"]

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic, dims, then big-endian data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x00\x00":
        raise DataNotFoundError(f"{path} is not an IDX file")
    dtype = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[raw[2]]
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(shape)


def check_images(cfg: ImageDataConfig) -> None:
    """Raise DataNotFoundError when the Fashion-MNIST files are missing (digits ship with sklearn)."""
    if cfg.dataset != "fashion_mnist":
        return
    root = cfg.path or FASHION_MNIST_DIR
    for img_name, lbl_name in _FILES.values():
        if not (root / img_name).is_file() or not (root / lbl_name).is_file():
            raise DataNotFoundError(
                f"Fashion-MNIST not found in {root}: install the Debian package "
                "'dataset-fashion-mnist' (make install does), or set data.path to a folder "
                "holding the four IDX files"
            )


def _fashion_mnist(root: Path) -> tuple[np.ndarray, ...]:
    out = []
    for split in ("train", "test"):
        img_name, lbl_name = _FILES[split]
        out += [
            read_idx(root / img_name).astype(np.float32)[:, None] / 255.0,
            read_idx(root / lbl_name).astype(np.int64),
        ]
    return tuple(out)


def load_images(cfg: ImageDataConfig) -> SplitDataset:
    """Train/validation/test splits; validation is carved out of the training set."""
    rng = np.random.default_rng(cfg.seed)
    if cfg.dataset == "fashion_mnist":
        check_images(cfg)
        x_tr, y_tr, x_te, y_te = _fashion_mnist(cfg.path or FASHION_MNIST_DIR)
        classes, source = FASHION_CLASSES, "Fashion-MNIST (Debian dataset-fashion-mnist)"
    else:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        x = (d.images / 16.0).astype(np.float32)[:, None]
        x_tr, x_te, y_tr, y_te = train_test_split(
            x, d.target, test_size=0.2, stratify=d.target, random_state=cfg.seed
        )
        classes, source = [str(i) for i in range(10)], "scikit-learn digits (8x8)"
    order = rng.permutation(len(y_tr))
    n_val = int(round(cfg.val_fraction * len(y_tr)))
    val, train = order[:n_val], order[n_val:]
    if cfg.train_limit:
        train = train[: cfg.train_limit]
    test = np.arange(len(y_te))[: cfg.test_limit] if cfg.test_limit else np.arange(len(y_te))
    ds = SplitDataset(x_tr[train], y_tr[train], x_tr[val], y_tr[val], x_te[test], y_te[test])
    return ds.with_meta(classes=classes, generator=source, source=cfg.dataset)
