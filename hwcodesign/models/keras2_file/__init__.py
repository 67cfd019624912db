"""Model family ``keras2_file``: your Keras 2 / QKeras model (``.h5``, or ``.json`` + weights),
read in the legacy venv and rebuilt as an equivalent HGQ2 model."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="keras2_file",
    config=f"{__name__}.config:Keras2FileConfig",
    prepare=f"{__name__}.frontend:prepare",
    check=f"{__name__}.frontend:check",
    flow="keras_hls4ml",
    description="your Keras 2 / QKeras / HGQ v1 model (.h5, or .json + weights .h5), or a QKeras-for-Keras-3 "
    ".keras file, read in the legacy venv",
    file_suffixes=(".h5", ".hdf5", ".json", ".keras"),
    accepts=f"{__name__}.frontend:accepts",  # a .keras file only when it holds QKeras layers
    step_checks=(
        ("data", f"{__name__}.frontend:check_model_file"),  # before any step, even with --until data
        ("rtl", f"{__name__}.frontend:check_rtl_rounding"),
    ),
)
