"""The ``model:`` section of ``kind: jet_linear``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...config_base import Section

__all__ = ["JetLinearConfig"]


class JetLinearConfig(Section):
    """JEDI-linear-style jet tagger: per-particle layers plus one global aggregate."""

    kind: Literal["jet_linear"] = Field("jet_linear", description="Model family.")
    hidden_dim: int = Field(16, ge=2, description="D: width of every per-particle layer.")
    num_updates: int = Field(1, ge=0, le=4, description="Per-particle layers after the global exchange.")
    head_dim: int = Field(16, ge=1, description="Width of the jet-level layers before the logits.")
    head_layers: int = Field(1, ge=0, le=4, description="Jet-level layers before the logits.")
