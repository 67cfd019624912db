"""Train/validation/test splits as one frozen value, saved to and loaded from ``.npz``.

Labels are optional (``y_* = None``): unlabelled data still give bit-exactness, latency and
resources, only no accuracy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = ["SplitDataset", "stratified_split"]


@dataclass(frozen=True)
class SplitDataset:
    """Inputs and integer labels for the three splits, plus a JSON-able ``meta`` dict."""

    x_train: np.ndarray
    y_train: np.ndarray | None
    x_val: np.ndarray
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    meta: dict = field(default_factory=dict)

    @property
    def labelled(self) -> bool:
        return self.y_test is not None

    @property
    def classes(self) -> list[str]:
        if "classes" in self.meta:
            return list(self.meta["classes"])
        if self.y_train is None:
            return []
        top = max(int(y.max()) for y in (self.y_train, self.y_val, self.y_test) if y is not None and len(y))
        return [str(i) for i in range(top + 1)]

    def counts(self) -> dict[str, dict[str, int]]:
        """Samples per class in each split (or in total, when unlabelled)."""
        splits = (
            ("train", self.x_train, self.y_train),
            ("val", self.x_val, self.y_val),
            ("test", self.x_test, self.y_test),
        )
        if not self.labelled:
            return {split: {"all": len(x)} for split, x, _ in splits}
        return {split: {c: int((y == i).sum()) for i, c in enumerate(self.classes)} for split, _, y in splits}

    def with_meta(self, **meta) -> SplitDataset:
        return replace(self, meta={**self.meta, **meta})

    def standardised(self, mask_axis: int | None = None) -> SplitDataset:
        """Scale each feature (last axis) to zero mean, unit variance on the training split.

        With ``mask_axis``, entries whose features are all zero (padding) are ignored for the
        statistics and stay exactly zero.
        """
        x = self.x_train.reshape(-1, self.x_train.shape[-1])
        real = np.any(x != 0, axis=mask_axis) if mask_axis is not None else np.ones(len(x), bool)
        mean, std = x[real].mean(axis=0), x[real].std(axis=0)
        std = np.where(std > 0, std, 1.0)

        def scale(a: np.ndarray) -> np.ndarray:
            out = (a - mean) / std
            if mask_axis is not None:
                out = np.where(np.any(a != 0, axis=-1, keepdims=True), out, 0.0)
            return out.astype(np.float32)

        norm = {"mean": mean.tolist(), "std": std.tolist()}
        return replace(
            self,
            x_train=scale(self.x_train),
            x_val=scale(self.x_val),
            x_test=scale(self.x_test),
            meta={**self.meta, "standardisation": norm},
        )

    def save(self, path: Path) -> None:
        arrays = {k: getattr(self, k) for k in _KEYS if getattr(self, k) is not None}
        np.savez_compressed(path, **arrays, meta=np.array(json.dumps(self.meta)))

    @classmethod
    def load(cls, path: Path) -> SplitDataset:
        with np.load(path) as f:
            arrays = {k: (f.get(k, None)) for k in _KEYS}
            meta = json.loads(str(f["meta"]))
        return cls(**arrays, meta=meta)


_KEYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def stratified_split(
    x: np.ndarray, y: np.ndarray | None, val_fraction: float, test_fraction: float, seed: int
) -> SplitDataset:
    """Shuffle and split with the class proportions kept in every split (plain shuffling when
    ``y`` is None)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(x))
    rest, test = train_test_split(idx, test_size=test_fraction, stratify=y, random_state=seed)
    if val_fraction > 0:
        val_of_rest = val_fraction / (1.0 - test_fraction)
        strat = y[rest] if y is not None else None
        train, val = train_test_split(rest, test_size=val_of_rest, stratify=strat, random_state=seed)
    else:
        train, val = rest, rest[:0]

    def pick(a, i):
        return None if a is None else a[i]

    return SplitDataset(x[train], pick(y, train), x[val], pick(y, val), x[test], pick(y, test))
