"""The ``model:`` section of ``kind: vit``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...config_base import Section, heads_divide

__all__ = ["ViTConfig"]


class ViTConfig(Section):
    """Brevitas tiny Vision Transformer, formulated for finn-plus (see models/brevitas_nets.py)."""

    kind: Literal["vit"] = Field(description="Model family.")
    patch_size: int = Field(7, ge=1, description="Square patch side in pixels (stride = size).")
    embed_dim: int = Field(32, ge=2, description="Token width D.")
    num_heads: int = Field(2, ge=1, description="Attention heads (embed_dim % heads == 0).")
    num_blocks: int = Field(1, ge=1, le=8, description="Encoder blocks.")
    mlp_dim: int = Field(64, ge=1, description="Hidden width of each block's MLP.")
    norm_affine: bool = Field(
        False, description="LayerNorm with learned scale/bias (finn-plus maps only without)."
    )
    mlp_activation: Literal["relu", "gelu"] = Field(
        "relu", description="Activation in the MLP (ReLU is a threshold stage; GELU is not)."
    )
    pooling: Literal["flatten", "mean"] = Field(
        "flatten", description="Tokens to classifier: flatten (MVAU) or mean over tokens (ReduceMean)."
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> ViTConfig:
        heads_divide(self.embed_dim, self.num_heads)
        return self
