"""The model step of every flow (``train``, ``train_torch``, ``import_qonnx``): whatever the
frontend of ``model.kind`` does to produce the model the hardware implements."""

from __future__ import annotations

from pathlib import Path

from ..config import RunConfig
from ..frontends import frontend_of
from ..records import StepResult
from ..run import Run

__all__ = ["step_model", "check_model"]


def check_model(config: RunConfig) -> None:
    """The frontend's cheap checks (model file, input shape, supported layers)."""
    frontend_of(config).load().check(config)


def step_model(run: Run, out: Path) -> StepResult:
    return frontend_of(run.config).load().prepare(run, out)
