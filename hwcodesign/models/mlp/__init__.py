"""Model family ``mlp``: a Brevitas multilayer perceptron (and its float twin)."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="mlp",
    config=f"{__name__}.config:MLPConfig",
    prepare="hwcodesign.models.torch_twins:train_torch_twins",
    check="hwcodesign.models.torch_twins:check_labels",
    flow="torch_finn",
    quantization="brevitas",
    description="train a Brevitas MLP (and float twin)",
    build_torch=f"{__name__}.builder:build_torch",
)
