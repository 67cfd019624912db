"""Model family ``keras_file``: your Keras 3 ``.keras`` model; HGQ2 models are used as they are,
float models are quantized after training (PTQ) into an equivalent HGQ2 model."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="keras_file",
    config=f"{__name__}.config:KerasFileConfig",
    prepare=f"{__name__}.frontend:prepare",
    check=f"{__name__}.frontend:check",
    flow="keras_hls4ml",
    description="your Keras 3 .keras model: HGQ2 as is, float Keras quantized after training (PTQ)",
    file_suffixes=(".keras",),
    adopt=f"{__name__}.frontend:adopt",
    accepts=f"{__name__}.frontend:accepts",  # a QKeras-for-Keras-3 .keras file is keras2_file's
    step_checks=(
        ("data", f"{__name__}.frontend:check_model_file"),  # before any step, even --until data
        ("rtl", f"{__name__}.frontend:check_rtl_layers"),
    ),
)
