"""Step ``convert``: hls4ml project of the quantized Keras model, compiled to its C++
emulation, which runs the whole test set; outputs are compared with Keras bit for bit.

Writes ``hls/project/`` (the hls4ml project, ready for vitis_hls), ``hls/hls4ml_config.yml``
(the per-layer config hls4ml used: edit and re-use it) and ``hls/emulation.npz``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import yaml

from ..artifacts import (
    HLS_EMULATION,
    HLS_PROJECT,
    load_dataset,
    load_keras_model,
    load_predictions,
    load_train_summary,
)
from ..backends.hls4ml.keras import check_hls4ml_support, convert_keras, hls4ml_config
from ..frameworks import versions
from ..records import Metric, ReportPart, StepResult
from ..run import Run
from ..train.metrics import accuracy_of_run_outputs, identical_fraction

__all__ = ["step_convert"]

log = logging.getLogger(__name__)


def step_convert(run: Run, out: Path) -> StepResult:
    target = run.config.target
    model = load_keras_model(run)
    ds = load_dataset(run)
    check_hls4ml_support(model)
    cfg = hls4ml_config(model, target.backend, target.strategy)
    (out / "hls4ml_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))

    y_keras = load_predictions(run).reference.reshape(len(ds.x_test), -1).astype(np.float64)
    run.progress("hls4ml compile (g++) + emulation", 0, 1)
    y_hls, compile_s = convert_keras(model, ds.x_test, cfg, target, out / HLS_PROJECT.filename)
    run.progress("hls4ml compile (g++) + emulation", 1, 1)
    frac, n_bad, bad_idx = identical_fraction(y_keras, y_hls)
    np.savez(out / HLS_EMULATION.filename, hls=y_hls, reference=y_keras, **_labels(ds))
    if n_bad:
        log.warning(
            "hls4ml emulation differs from Keras on %d of %d samples (first: %s)", n_bad, len(y_hls), bad_idx
        )
    src = f"hls4ml {versions('hls4ml')['hls4ml']} C++ emulation (g++)"
    n = len(y_hls)
    metrics = {
        "bit_exact_fraction": Metric(
            value=frac, unit="fraction", n=n, source=f"{src} vs Keras, all output bits"
        ),
        "max_abs_diff": Metric(
            value=float(np.abs(y_keras - y_hls).max()), unit="", n=n, source=f"{src} vs Keras"
        ),
        "compile_seconds": Metric(value=round(compile_s, 2), unit="s", source="wall clock"),
    }
    report = ReportPart(bit_exactness={"hls4ml_vs_keras": metrics["bit_exact_fraction"]})
    acc = accuracy_of_run_outputs(y_hls, ds.y_test, load_train_summary(run)) if ds.labelled else None
    if acc is not None:  # None: a regression (its residuals are in the report)
        metrics["accuracy_emulated"] = Metric(value=acc, unit="fraction", n=n, source=src)
        report = report.model_copy(update={"accuracy": {"emulated": metrics["accuracy_emulated"]}})
    return StepResult(
        metrics=metrics,
        report=report,
        tools=versions("hls4ml"),
        info={"mismatch_samples": bad_idx, "strategy": target.strategy, "backend": target.backend},
    )


def _labels(ds) -> dict:
    return {"labels": ds.y_test} if ds.labelled else {}
