"""Model family ``vit``: a Brevitas tiny Vision Transformer formulated for finn-plus (see
``builder.py``), and its float twin."""

from ...families import ModelFamily

__all__ = ["FAMILY"]

FAMILY = ModelFamily(
    kind="vit",
    config=f"{__name__}.config:ViTConfig",
    prepare="hwcodesign.models.torch_twins:train_torch_twins",
    check=f"{__name__}.frontend:check",
    flow="torch_finn",
    quantization="brevitas",
    description="train a Brevitas tiny ViT (and float twin)",
    build_torch=f"{__name__}.builder:build_torch",
)
