"""Model family ``onnx_float``: your float ONNX model (no quantizers, e.g. exported from a float
PyTorch model), converted to an equivalent float Keras model and quantized after training (PTQ)
into HGQ2, as float Keras models are; a ``.onnx`` file without quantizers is this family's."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="onnx_float",
    config=f"{__name__}.config:OnnxFloatConfig",
    prepare=f"{__name__}.frontend:prepare",
    check=f"{__name__}.frontend:check",
    flow="keras_hls4ml",
    description="your float ONNX model (no Quant nodes): ONNX -> Keras, quantized after training (PTQ)",
    file_suffixes=(".onnx",),
    accepts=f"{__name__}.graph:is_float_onnx",
    step_checks=(
        ("data", f"{__name__}.frontend:check_model_file"),  # before any step, even --until data
        ("rtl", f"{__name__}.frontend:check_rtl_layers"),
    ),
)
