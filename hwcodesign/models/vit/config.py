"""The ``model:`` section of ``kind: vit``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from ...config_base import Section, heads_divide
from ..attention_options import AttentionConfig, SoftmaxClip, omit_when_off

__all__ = ["ViTConfig", "AttentionConfig", "SoftmaxClip"]


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
    mlp_activation: Literal["relu", "gelu", "shiftgelu"] = Field(
        "relu",
        description="Activation in the MLP: ReLU (a threshold stage), GELU (float), or shiftgelu "
        "(I-ViT ShiftGELU, integer kernel hls/gelu).",
    )
    softmax: Literal["float", "shiftmax", "shiftmax_log2", "shiftmax_logsqrt2"] = Field(
        "float",
        description="Attention softmax: float (then quantized), shiftmax (I-ViT Shiftmax, integer kernel "
        "hls/shiftmax, act_bits outputs), or Shiftmax followed by a log2 / log-sqrt2 quantizer "
        "(hls/log2quant: FQ-ViT / RepQ-ViT).",
    )
    norm: Literal["float", "integer"] = Field(
        "float",
        description="LayerNorm: float, or integer (I-LayerNorm, hls/layernorm; with norm_affine its "
        "gamma/beta are integers too).",
    )
    adds: Literal["float", "integer"] = Field(
        "float",
        description="Residual and position-embedding adds: float, or integer (both operands quantized "
        "to power-of-two grids, exact integer add, then the usual requantizer: hls/requant_add).",
    )
    kernel_bits: int = Field(
        8, ge=4, le=16, description="Output width of the integer LayerNorm / ShiftGELU / log2 Shiftmax."
    )
    pooling: Literal["flatten", "mean"] = Field(
        "flatten", description="Tokens to classifier: flatten (MVAU) or mean over tokens (ReduceMean)."
    )
    attention: AttentionConfig | None = Field(
        None, description="Clipped softmax / gated attention (None: the plain attention)."
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> ViTConfig:
        heads_divide(self.embed_dim, self.num_heads)
        return self

    @model_validator(mode="after")
    def _clip_with_a_linear_softmax(self) -> ViTConfig:
        if self.clip is not None and self.softmax not in ("float", "shiftmax"):
            raise ValueError(
                f"attention.softmax_clip works with softmax float or shiftmax, not {self.softmax} "
                "(a log2-quantized softmax has no linear output to stretch)"
            )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_when_off(handler(self), ("attention",))

    @property
    def clip(self) -> SoftmaxClip | None:
        """The softmax clip, if any."""
        return self.attention.softmax_clip if self.attention is not None else None

    @property
    def gate(self) -> bool:
        """Whether the attention is gated."""
        return self.attention is not None and self.attention.gate

    @property
    def uses_integer_kernels(self) -> bool:
        """Whether any option asks for an integer kernel (they need power-of-two scales)."""
        return (
            self.softmax != "float"
            or self.norm != "float"
            or self.adds != "float"
            or self.mlp_activation == "shiftgelu"
        )
