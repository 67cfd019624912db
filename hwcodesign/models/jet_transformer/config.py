"""The ``model:`` section of ``kind: jet_transformer``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ...config_base import Section, heads_divide

__all__ = ["JetTransformerConfig"]


class JetTransformerConfig(Section):
    """HGQ2 transformer jet tagger (and its float twin)."""

    kind: Literal["jet_transformer"] = Field("jet_transformer", description="Model family.")
    embed_dim: int = Field(16, ge=2, description="D: width of the per-particle embedding.")
    num_heads: int = Field(2, ge=1, description="H: attention heads (embed_dim % H == 0).")
    num_blocks: int = Field(1, ge=1, le=8, description="L: encoder blocks.")
    ff_dim: int = Field(16, ge=1, description="Width of the feed-forward layer in each block.")
    pooling: Literal["average", "max"] = Field("average", description="Pooling over particles.")

    @model_validator(mode="after")
    def _heads_divide(self) -> JetTransformerConfig:
        heads_divide(self.embed_dim, self.num_heads)
        return self
