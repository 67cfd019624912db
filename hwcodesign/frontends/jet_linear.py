"""Frontend ``jet_linear``: train hwcodesign's JEDI-linear-style HGQ2 jet tagger (cost linear
in the number of particles, no attention) and its float twin, in the same flow as the
transformer, so both families can be compared at equal latency."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..config_base import Section
from .jet_transformer import check, train_twins

if TYPE_CHECKING:
    from ..records import StepResult
    from ..run import Run

__all__ = ["JetLinearConfig", "check", "prepare"]


class JetLinearConfig(Section):
    """JEDI-linear-style jet tagger: per-particle layers plus one global aggregate."""

    kind: Literal["jet_linear"] = Field("jet_linear", description="Model family.")
    hidden_dim: int = Field(16, ge=2, description="D: width of every per-particle layer.")
    num_updates: int = Field(1, ge=0, le=4, description="Per-particle layers after the global exchange.")
    head_dim: int = Field(16, ge=1, description="Width of the jet-level layers before the logits.")
    head_layers: int = Field(1, ge=0, le=4, description="Jet-level layers before the logits.")


def prepare(run: Run, out: Path) -> StepResult:
    """Train (float twin, then HGQ2 QAT), calibrate, evaluate; write the model artifacts."""
    from ..models.jet_linear import build_jet_linear

    return train_twins(run, out, build_jet_linear)
