"""The ``model:`` section of ``kind: jet_linear``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from ...config_base import Section, omit_defaults

__all__ = ["JetLinearConfig"]


class JetLinearConfig(Section):
    """JEDI-linear-style jet tagger: per-particle layers plus global aggregates."""

    kind: Literal["jet_linear"] = Field("jet_linear", description="Model family.")
    hidden_dim: int = Field(16, ge=2, description="D: width of every per-particle layer.")
    num_exchanges: int = Field(
        1, ge=1, le=3, description="Global exchanges: each aggregates over particles, adds the result back."
    )
    aggregate: Literal["average", "max"] = Field(
        "average", description="How each global exchange aggregates over particles."
    )
    pooling: Literal["average", "max"] = Field(
        "average", description="Pooling over particles before the jet-level layers."
    )
    num_updates: int = Field(1, ge=0, le=4, description="Per-particle layers after the global exchange.")
    head_dim: int = Field(16, ge=1, description="Width of the jet-level layers before the logits.")
    head_layers: int = Field(1, ge=0, le=4, description="Jet-level layers before the logits.")

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        # configs written before these options keep their dump, so their runs stay cached
        return omit_defaults(
            handler(self), {"num_exchanges": 1, "aggregate": "average", "pooling": "average"}
        )
