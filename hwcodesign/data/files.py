"""Your own data from a ``.npz`` or HDF5 file: arrays by key, optional labels, fixed splits
or split fractions. Shapes and label values are checked; problems are one line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..config import FileDataConfig
from ..errors import ConfigError, DataNotFoundError
from .splits import SplitDataset, stratified_split

__all__ = ["load_file_data", "peek_file"]

_SPLITS = ("train", "val", "test")


class _Reader:
    """Keys and arrays of an npz or HDF5 file (HDF5 keys may be paths like 'group/x')."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise DataNotFoundError(f"data file not found: {path} (data.path)")
        import h5py

        if h5py.is_hdf5(path):
            self.kind = "hdf5"
        elif zipfile.is_zipfile(path):
            self.kind = "npz"
        else:
            raise DataNotFoundError(f"{path} is neither an .npz nor an HDF5 file (data.path)")

    def keys(self) -> list[str]:
        if self.kind == "npz":
            with np.load(self.path) as f:
                return list(f.keys())
        import h5py

        found: list[str] = []
        with h5py.File(self.path, "r") as h5:
            h5.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
        return found

    def shape(self, key: str) -> tuple[int, ...]:
        """Shape of an array without reading it (npz: its header)."""
        if self.kind == "npz":
            with zipfile.ZipFile(self.path) as z, z.open(f"{key}.npy") as f:
                major, _ = np.lib.format.read_magic(f)
                read = (
                    np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
                )
                shape, _, _ = read(f)
                return tuple(shape)
        import h5py

        with h5py.File(self.path, "r") as h5:
            return tuple(h5[key].shape)

    def read(self, key: str) -> np.ndarray:
        if self.kind == "npz":
            with np.load(self.path) as f:
                return f[key]
        import h5py

        with h5py.File(self.path, "r") as h5:
            return h5[key][()]


def _layout(cfg: FileDataConfig, keys: list[str]) -> tuple[dict[str, str], dict[str, str] | None]:
    """(x key per split or {"all": x}, y keys likewise or None when unlabelled)."""
    if f"{cfg.x_key}_train" in keys and f"{cfg.x_key}_test" in keys:
        xs = {s: f"{cfg.x_key}_{s}" for s in _SPLITS if f"{cfg.x_key}_{s}" in keys}
        ys = None
        if cfg.y_key:
            ys = {s: f"{cfg.y_key}_{s}" for s in xs if f"{cfg.y_key}_{s}" in keys}
            if ys and set(ys) != set(xs):
                raise DataNotFoundError(
                    f"{cfg.path}: labels for splits {sorted(ys)} but inputs for {sorted(xs)}; "
                    f"give both or neither"
                )
            ys = ys or None
        return xs, ys
    if cfg.x_key not in keys:
        raise DataNotFoundError(
            f"{cfg.path} has no '{cfg.x_key}' (data.x_key) nor '{cfg.x_key}_train'/'{cfg.x_key}_test'; "
            f"its keys: {', '.join(keys[:12])}"
        )
    ys = {"all": cfg.y_key} if cfg.y_key and cfg.y_key in keys else None
    return {"all": cfg.x_key}, ys


def peek_file(cfg: FileDataConfig) -> tuple[tuple[int, ...], bool]:
    """(input shape per sample, labelled?) without reading the arrays.

    Raises:
        DataNotFoundError: missing/unreadable file, keys absent, splits with different shapes.
    """
    r = _Reader(cfg.path)
    xs, ys = _layout(cfg, r.keys())
    shapes = {s: r.shape(k) for s, k in xs.items()}
    per_sample = {s: sh[1:] for s, sh in shapes.items()}
    if len(set(per_sample.values())) != 1:
        raise DataNotFoundError(f"{cfg.path}: the splits have different sample shapes {per_sample}")
    if any(len(sh) < 2 for sh in shapes.values()):
        raise DataNotFoundError(f"{cfg.path}: inputs need a sample axis and features; got shapes {shapes}")
    if ys:
        for s, k in ys.items():
            n_y, n_x = r.shape(k), shapes[s][0]
            if len(n_y) != 1 or n_y[0] != n_x:
                raise DataNotFoundError(
                    f"{cfg.path}: labels '{k}' have shape {n_y}, expected ({n_x},): one "
                    f"integer class (or regression target) per sample"
                )
    return next(iter(per_sample.values())), ys is not None


def _is_regression(ys: dict[str, np.ndarray], task: str) -> bool:
    """Float targets that are not all whole numbers (or ``task: regression``)."""
    if task != "auto":
        return task == "regression"
    return any(np.issubdtype(y.dtype, np.floating) and not np.all(np.mod(y, 1) == 0) for y in ys.values())


def _targets(y: np.ndarray, key: str, path: Path) -> np.ndarray:
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
        raise DataNotFoundError(f"{path}: regression targets '{key}' must be finite numbers")
    return y.astype(np.float32)


def _labels(y: np.ndarray, key: str, path: Path) -> np.ndarray:
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise DataNotFoundError(f"{path}: labels '{key}' must be integer classes 0..C-1 (got {y.dtype})")
    if y.min() < 0:
        raise DataNotFoundError(f"{path}: labels '{key}' must be >= 0")
    return y.astype(np.int64)


def _split_plain(
    x: np.ndarray, y: np.ndarray | None, val_fraction: float, test_fraction: float, seed: int
) -> SplitDataset:
    """Shuffled split of samples with continuous targets (no strata)."""
    idx = stratified_split(np.arange(len(x)), None, val_fraction, test_fraction, seed)

    def pick(i: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return x[i], None if y is None else y[i]

    (xtr, ytr), (xv, yv), (xte, yte) = pick(idx.x_train), pick(idx.x_val), pick(idx.x_test)
    return SplitDataset(xtr, ytr, xv, yv, xte, yte)


def load_file_data(cfg: FileDataConfig) -> SplitDataset:
    """Read the file and split it as configured.

    Raises:
        DataNotFoundError / ConfigError: the file or its contents do not fit the config.
    """
    peek_file(cfg)
    r = _Reader(cfg.path)
    xs, ys = _layout(cfg, r.keys())
    x = {s: r.read(k).astype(np.float32) for s, k in xs.items()}
    y = {s: r.read(k) for s, k in ys.items()} if ys else None
    regression = bool(y) and _is_regression(y, cfg.task)
    if y:
        read = _targets if regression else _labels
        y = {s: read(a, ys[s], cfg.path) for s, a in y.items()}
    if cfg.limit:
        x = {s: a[: cfg.limit] for s, a in x.items()}
        y = {s: a[: cfg.limit] for s, a in y.items()} if y else None
    split = _split_plain if regression else stratified_split  # continuous targets: not stratified
    if "all" in x:
        if len(x["all"]) < 10:
            raise ConfigError(f"{cfg.path} holds {len(x['all'])} samples: too few to split")
        ds = split(x["all"], y["all"] if y else None, cfg.val_fraction, cfg.test_fraction, cfg.seed)
    else:
        if "val" not in x:
            tr = split(x["train"], y["train"] if y else None, 0.0, max(cfg.val_fraction, 1e-9), cfg.seed)
            x["train"], x["val"] = tr.x_train, tr.x_test
            if y:
                y["train"], y["val"] = tr.y_train, tr.y_test
        ds = SplitDataset(
            x["train"],
            y["train"] if y else None,
            x["val"],
            y["val"] if y else None,
            x["test"],
            y["test"] if y else None,
        )
    if cfg.standardise:
        ds = ds.standardised()
    meta = {"generator": f"your file {cfg.path.name}", "source": "file", "file": str(cfg.path)}
    if cfg.threshold is not None:
        meta["threshold"] = cfg.threshold
    if regression:
        return ds.with_meta(**meta, task="regression", classes=[])
    if cfg.class_names:
        top = (
            max(int(a.max()) for a in (ds.y_train, ds.y_val, ds.y_test) if a is not None and len(a))
            if y
            else -1
        )
        if top >= len(cfg.class_names):
            raise ConfigError(
                f"data.class_names names {len(cfg.class_names)} classes but the labels go up to {top}"
            )
        meta["classes"] = list(cfg.class_names)
    return ds.with_meta(**meta)
