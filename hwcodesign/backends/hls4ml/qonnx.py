"""hls4ml's ONNX front end on QONNX models: the preparation hls4ml documents (qonnx
cleanup, channels-last, Gemm -> MatMul), the ops it has no handler for, and conversion +
emulation (bit-exact only with power-of-two scales)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...frameworks import import_hls4ml
from .project import emulate

__all__ = ["prepare_for_hls4ml", "unsupported_onnx_ops", "convert_qonnx"]


def prepare_for_hls4ml(model):
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(model)
    model = model.transform(ConvertToChannelsLastAndClean())
    model = model.transform(GemmToMatMul())
    return cleanup_model(model)


def unsupported_onnx_ops(model) -> dict[str, list[str]]:
    """op type -> node names, for ops hls4ml's ONNX front end has no handler for."""
    import_hls4ml()
    from hls4ml.converters.onnx_to_hls import get_supported_onnx_layers

    supported = set(get_supported_onnx_layers())
    out: dict[str, list[str]] = {}
    for node in model.graph.node:
        if node.op_type not in supported:
            out.setdefault(node.op_type, []).append(node.name)
    return out


def convert_qonnx(model, x: np.ndarray, target, destination: Path | None) -> np.ndarray:
    """Convert a prepared QONNX model, compile it and run ``x`` (NCHW images are made
    channels-last when the model was); returns outputs as (n, -1)."""
    hls4ml = import_hls4ml()
    cfg = hls4ml.utils.config.config_from_onnx_model(model, granularity="name", backend=target.backend)
    shape = model.get_tensor_shape(model.graph.input[0].name)
    if len(shape) == 4 and x.ndim == 4:
        x = x.transpose(0, 2, 3, 1)

    def convert(output_dir: Path):
        return hls4ml.converters.convert_from_onnx_model(
            model,
            output_dir=str(output_dir),
            backend=target.backend,
            io_type=target.io_type,
            hls_config=cfg,
            part=target.part,
            clock_period=target.clock_ns,
        )

    y, _ = emulate(convert, x.reshape(len(x), *shape[1:]), destination)
    return y
