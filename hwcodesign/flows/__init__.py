"""Flows: named, ordered lists of steps (``flows/spec.py``: ``register_flow``, the flow registry,
plans) and the runner that executes them on a run folder (``flows/runner.py``)."""

from .runner import StepEvent, preflight, run_flow
from .spec import (
    FLOWS,
    FlowSpec,
    check_flow_fits,
    flow_steps,
    make_plan,
    model_step,
    register_flow,
    select_steps,
)

__all__ = [
    "FLOWS",
    "FlowSpec",
    "register_flow",
    "flow_steps",
    "make_plan",
    "select_steps",
    "check_flow_fits",
    "model_step",
    "run_flow",
    "preflight",
    "StepEvent",
]
