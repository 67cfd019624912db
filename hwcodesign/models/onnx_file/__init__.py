"""Model family ``onnx_file``: your QONNX model (e.g. a Brevitas export), into the finn-plus and
hls4ml QONNX paths; its own outputs (qonnx execution) are the reference."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="onnx_file",
    config=f"{__name__}.config:OnnxFileConfig",
    prepare=f"{__name__}.frontend:prepare",
    check=f"{__name__}.frontend:check",
    flow="qonnx_finn",
    description="your QONNX / Brevitas-exported ONNX model",
    file_suffixes=(".onnx",),
    adopt=f"{__name__}.frontend:adopt",
    accepts=f"{__name__}.frontend:accepts",  # a .onnx without quantizers is onnx_float's
    step_checks=(("data", f"{__name__}.frontend:check_model_file"),),  # before any step, even --until data
)
