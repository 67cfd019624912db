"""Executing QONNX models with qonnx's own executor (the reference semantics of the format)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["execute_qonnx", "batch_size_of", "export_qonnx"]


def batch_size_of(path: Path) -> int | None:
    """The fixed batch size of a QONNX model's input, or None when it is symbolic."""
    from qonnx.core.modelwrapper import ModelWrapper

    model = ModelWrapper(str(path))
    dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    return dim.dim_value if dim.HasField("dim_value") else None


def execute_qonnx(
    path: Path, x: np.ndarray, batch: int, on_progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """Run ``x`` through the QONNX model with qonnx's executor, ``batch`` samples per call
    (the model's fixed batch size; the last chunk is padded)."""
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
        outs.append(y[: batch - pad].reshape(batch - pad, -1))
        if on_progress:
            on_progress(min(i + batch, len(x)), len(x))
    return np.concatenate(outs)


def export_qonnx(model, example: np.ndarray, path: Path, opset: int = 19) -> None:
    """Export with Brevitas (opset <= 19 for finn-plus), then qonnx's cleanup."""
    from ..frameworks import import_torch

    torch = import_torch()
    from brevitas.export import export_qonnx as brevitas_export
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.util.cleanup import cleanup_model

    raw = path.with_name(path.stem + "_raw.onnx")
    model.eval()
    brevitas_export(model, torch.from_numpy(example), export_path=str(raw), opset_version=opset)
    cleanup_model(ModelWrapper(str(raw))).save(str(path))
    raw.unlink()
    for extra in path.parent.glob(raw.name + "*"):  # torch's external-data sidecar, if any
        extra.unlink()
