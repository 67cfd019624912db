"""Step ``export``: Brevitas model -> QONNX, cleaned up, and checked by executing it.

Two exports of the same weights: ``qonnx/model.onnx`` with batch 1 (what finn-plus and
hls4ml consume) and ``qonnx/model_batch.onnx`` with a batch of ``EXEC_BATCH`` images, so
the whole test set runs through QONNX's own executor and is compared with Brevitas
(identical argmax, max abs difference). The batch-1 file is checked on the first images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..artifacts import QONNX_MODEL, QONNX_OUTPUTS, load_dataset, load_predictions
from ..backends.qonnx import execute_qonnx, export_qonnx
from ..frameworks import versions
from ..models.torch_twins import load_torch_model
from ..records import Metric, ReportPart, StepResult
from ..run import Run
from ..train.metrics import identical_fraction

__all__ = ["step_export", "EXEC_BATCH", "OPSET"]

EXEC_BATCH = 250
OPSET = 19  # finn-plus' front end needs <= 19


def step_export(run: Run, out: Path) -> StepResult:
    ds = load_dataset(run)
    model = load_torch_model(run)
    export_qonnx(model, ds.x_test[:1], out / QONNX_MODEL.filename, OPSET)
    export_qonnx(model, ds.x_test[:EXEC_BATCH], out / "model_batch.onnx", OPSET)

    y_brevitas = load_predictions(run).reference
    n = len(ds.x_test)
    y_qonnx = execute_qonnx(
        out / "model_batch.onnx",
        ds.x_test,
        EXEC_BATCH,
        lambda d, t: run.progress("QONNX execution of the test set", d, t),
    )
    n1 = min(20, n)
    y_single = execute_qonnx(out / QONNX_MODEL.filename, ds.x_test[:n1], 1)
    np.savez(out / QONNX_OUTPUTS.filename, qonnx=y_qonnx, brevitas=y_brevitas, labels=ds.y_test)

    src = f"qonnx {versions('qonnx')['qonnx']} execute_onnx vs Brevitas (PyTorch)"
    single_frac, _, _ = identical_fraction(y_single, y_qonnx[:n1])
    m = {
        "argmax_agreement": Metric(
            value=float((y_qonnx.argmax(1) == y_brevitas.argmax(1)).mean()), unit="fraction", n=n, source=src
        ),
        "max_abs_diff": Metric(value=float(np.abs(y_qonnx - y_brevitas).max()), unit="", n=n, source=src),
        "accuracy_exported": Metric(
            value=float((y_qonnx.argmax(1) == ds.y_test).mean()),
            unit="fraction",
            n=n,
            source=f"qonnx {versions('qonnx')['qonnx']}",
        ),
        "batch1_identical": Metric(
            value=single_frac,
            unit="fraction",
            n=n1,
            source="batch-1 export vs batched export, qonnx execution",
        ),
    }
    report = ReportPart(
        accuracy={"exported": m["accuracy_exported"]},
        bit_exactness={"qonnx_vs_brevitas_argmax": m["argmax_agreement"]},
    )
    return StepResult(
        metrics=m, report=report, tools=versions("brevitas", "qonnx", "onnx", "torch"), info={"opset": OPSET}
    )
