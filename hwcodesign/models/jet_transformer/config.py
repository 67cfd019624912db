"""The ``model:`` section of ``kind: jet_transformer``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from ...config_base import Section, heads_divide
from ..attention_options import AttentionConfig, omit_when_off

__all__ = ["JetTransformerConfig"]


class JetTransformerConfig(Section):
    """HGQ2 transformer jet tagger (and its float twin)."""

    kind: Literal["jet_transformer"] = Field("jet_transformer", description="Model family.")
    embed_dim: int = Field(16, ge=2, description="D: width of the per-particle embedding.")
    num_heads: int = Field(2, ge=1, description="H: attention heads (embed_dim % H == 0).")
    num_blocks: int = Field(1, ge=1, le=8, description="L: encoder blocks.")
    ff_dim: int = Field(16, ge=1, description="Width of the feed-forward layer in each block.")
    pooling: Literal["average", "max"] = Field("average", description="Pooling over particles.")
    attention: AttentionConfig | None = Field(
        None,
        description="Clipped softmax / gated attention: the attention is then built from HGQ2 layers "
        "(QEinsum, QSoftmax, ...) instead of QMultiHeadAttention, which has no hook for them.",
    )

    @model_validator(mode="after")
    def _heads_divide(self) -> JetTransformerConfig:
        heads_divide(self.embed_dim, self.num_heads)
        return self

    @model_validator(mode="after")
    def _what_converts(self) -> JetTransformerConfig:
        a = self.attention
        if a is not None and a.softmax_clip is not None and a.softmax_clip.zeta != 1:
            raise ValueError(
                "attention.softmax_clip.zeta must be 1 for the jet transformer: with zeta 1 the clip is a "
                "ReLU (bit-exact through hls4ml and da4ml); a clip at the top has no such layer"
            )
        if a is not None and a.gate and a.gate_function != "hard_sigmoid":
            raise ValueError(
                "attention.gate_function must be hard_sigmoid for the jet transformer: a sigmoid gate was "
                "not bit-exact through da4ml 0.6 (97.5 % of test samples identical)"
            )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_when_off(handler(self), ("attention",))
