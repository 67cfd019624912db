"""What a run does to raw inputs before its model sees them, so that the hardware's emulator
(and anyone feeding the design) can take features as the detector or the data file gives
them: the per-sample input shape and the standardisation of the training split.

Jets are always standardised (all-zero padding particles stay zero); your files when
``data.standardise`` is set; images are used as the data step stores them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..run import Run

__all__ = ["preprocessing", "standardise"]


def preprocessing(run: Run) -> dict:
    """``input_shape`` (per sample), ``standardisation`` (``mean``/``std`` per feature of the
    training split, or None) and ``zero_rows_kept`` (padding entries stay exactly zero), read
    from the data step's manifest.

    Raises:
        StepOrderError: the data step has not run.
    """
    import json

    from ..artifacts import DATA_MANIFEST, load_dataset, locate

    manifest = json.loads(locate(run, DATA_MANIFEST).read_text())  # the dataset's meta, counts, shape
    shape = manifest.get("input_shape") or list(load_dataset(run).x_test.shape[1:])
    data = run.config.data
    masked = data.dataset == "jets" and getattr(data, "source", "") != "hls4ml_openml"  # as data/jets.py
    return {
        "input_shape": list(shape),
        "standardisation": manifest.get("standardisation"),
        "zero_rows_kept": masked and manifest.get("standardisation") is not None,
    }


def standardise(x: np.ndarray, norm: dict, zero_rows_kept: bool) -> np.ndarray:
    """(x - mean) / std per feature (last axis), computed as the data step does (float32 inputs,
    float64 arithmetic, float32 result); with ``zero_rows_kept``, all-zero entries (padding
    particles) stay exactly zero."""
    x = np.asarray(x, dtype=np.float32)
    mean, std = np.asarray(norm["mean"]), np.asarray(norm["std"])
    out = (x - mean) / std
    if zero_rows_kept:
        out = np.where(np.any(x != 0, axis=-1, keepdims=True), out, 0.0)
    return out.astype(np.float32)
