"""Step ``export``: Brevitas model -> QONNX, cleaned up, and checked by executing it.

Two exports of the same weights: ``qonnx/model.onnx`` with batch 1 (what finn-plus and
hls4ml consume) and ``qonnx/model_batch.onnx`` with a batch of ``EXEC_BATCH`` images, so
the whole test set can be run through QONNX's own executor and compared with Brevitas
(fraction of identical argmax, max abs difference). The batch-1 file is checked on the
first test images too.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..frameworks import import_torch, versions
from ..records import Metric, StepResult
from ..run import Run
from .data import load_dataset

__all__ = ["step_export", "export_qonnx", "execute_qonnx", "EXEC_BATCH", "OPSET"]

log = logging.getLogger(__name__)

EXEC_BATCH = 250
OPSET = 19  # finn-plus' front end needs <= 19


def export_qonnx(model, example: np.ndarray, path: Path) -> None:
    """Export with Brevitas, then run qonnx's cleanup (shape inference, constant folding)."""
    torch = import_torch()
    from brevitas.export import export_qonnx as brevitas_export
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    raw = path.with_name(path.stem + "_raw.onnx")
    model.eval()
    brevitas_export(model, torch.from_numpy(example), export_path=str(raw), opset_version=OPSET)
    cleanup_model(ModelWrapper(str(raw))).save(str(path))
    raw.unlink()
    for extra in path.parent.glob(raw.name + "*"):  # torch's external-data sidecar, if any
        extra.unlink()


def execute_qonnx(path: Path, x: np.ndarray, batch: int) -> np.ndarray:
    """Run ``x`` through the QONNX model with qonnx's executor, ``batch`` images per call."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx

    model = ModelWrapper(str(path))
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    outs = []
    for i in range(0, len(x), batch):
        chunk = x[i : i + batch]
        pad = batch - len(chunk)
        if pad:
            chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), chunk.dtype)])
        y = execute_onnx(model, {iname: chunk.astype(np.float32)})[oname]
        outs.append(y[: batch - pad])
    return np.concatenate(outs)


def step_export(run: Run, out: Path) -> StepResult:
    from ..train.metrics import identical_fraction
    from .train_torch import brevitas_logits, load_torch_model

    ds = load_dataset(run)
    model = load_torch_model(run)
    export_qonnx(model, ds.x_test[:1], out / "model.onnx")
    export_qonnx(model, ds.x_test[:EXEC_BATCH], out / "model_batch.onnx")

    y_brevitas = brevitas_logits(run)
    n = len(ds.x_test)
    run.progress("QONNX execution of the test set", 0, 1)
    y_qonnx = execute_qonnx(out / "model_batch.onnx", ds.x_test, EXEC_BATCH)
    run.progress("QONNX execution of the test set", 1, 1)
    n1 = min(20, n)
    y_single = execute_qonnx(out / "model.onnx", ds.x_test[:n1], 1)
    np.savez(out / "qonnx_outputs.npz", qonnx=y_qonnx, brevitas=y_brevitas, labels=ds.y_test)

    same_argmax = float((y_qonnx.argmax(1) == y_brevitas.argmax(1)).mean())
    max_diff = float(np.abs(y_qonnx - y_brevitas).max())
    single_frac, _, _ = identical_fraction(y_single, y_qonnx[:n1])
    src = f"qonnx {versions('qonnx')['qonnx']} execute_onnx vs Brevitas (PyTorch)"
    return StepResult(
        metrics={
            "argmax_agreement": Metric(value=same_argmax, unit="fraction", n=n, source=src),
            "max_abs_diff": Metric(value=max_diff, unit="", n=n, source=src),
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
        },
        tools=versions("brevitas", "qonnx", "onnx", "torch"),
        info={"opset": OPSET, "files": ["qonnx/model.onnx", "qonnx/model_batch.onnx"]},
    )
