"""The model step of every flow (``train``, ``train_torch``, ``import_qonnx``): whatever the
model family of ``model.kind`` does to produce the model the hardware implements."""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig
from ..families import FAMILIES
from ..records import StepResult
from ..run import Run

__all__ = ["step_model", "check_model"]


def check_model(config: RunConfig) -> None:
    """The family's cheap checks (model file, input shape, supported layers)."""
    check = FAMILIES.get(config.model.kind).load("check")
    if check is not None:
        check(config)


def step_model(run: Run, out: Path) -> StepResult:
    return FAMILIES.get(run.config.model.kind).load("prepare")(run, out)
