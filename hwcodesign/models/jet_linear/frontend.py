"""The model step of ``kind: jet_linear``: train the JEDI-linear-style HGQ2 jet tagger (cost
linear in the number of particles, no attention) and its float twin, in the same flow as the
transformer, so both families can be compared at equal latency."""

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
    from .builder import build_jet_linear

    return train_twins(run, out, build_jet_linear)
