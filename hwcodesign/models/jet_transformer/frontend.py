"""The model step of ``kind: jet_transformer``: train the HGQ2 transformer jet tagger (QAT with
EBOPs control) and its float twin, then calibrate it for bit-exact hardware."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..jets import check_particle_inputs

if TYPE_CHECKING:
    from ...records import StepResult
    from ...run import Run

__all__ = ["check", "prepare"]

check = check_particle_inputs


def prepare(run: Run, out: Path) -> StepResult:
    """Train (float twin, then HGQ2 QAT), calibrate, evaluate; write the model artifacts."""
    from ..keras_twins import train_twins
    from .builder import build_jet_transformer

    return train_twins(run, out, build_jet_transformer)
