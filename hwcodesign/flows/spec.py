"""Flows: named, ordered lists of steps, registered explicitly (``register_flow``) like hls4ml's
``register_flow(name, passes)``; plugins add flows through the entry-point group
``hwcodesign.flows``.

A flow is checked when it is registered: every artifact a step reads is written by exactly
one earlier step. Its steps are names of registered steps, ``"module:name"`` references or
objects (``StepSpec``s or functions, see ``hwcodesign.steps.resolve_step``). A flow resolves
into a run's :class:`~hwcodesign.plan.Plan`, which the runner (``flows/runner.py``) writes
into the run folder before any step runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..artifacts import ARTIFACTS
from ..errors import ConfigError
from ..plan import ALL_EARLIER, Plan, PlannedStep
from ..registry import Registry
from ..steps import StepSpec, resolve_step

if TYPE_CHECKING:
    from ..config import RunConfig

__all__ = [
    "FlowSpec",
    "FLOWS",
    "register_flow",
    "flow_steps",
    "make_plan",
    "select_steps",
    "check_flow_fits",
    "model_step",
]


@dataclass(frozen=True)
class FlowSpec:
    """A flow: its name, its steps in order, and what it is for."""

    name: str
    steps: tuple[Any, ...]  # step names, "module:name" references, StepSpecs or functions
    description: str = ""


FLOWS: Registry[FlowSpec] = Registry("flow", builtins="hwcodesign.flows.builtin", group="hwcodesign.flows")


def register_flow(name: str, steps: tuple[Any, ...] | list[Any], description: str = "") -> FlowSpec:
    """Register a flow after checking that every artifact read is made by an earlier step.

    Raises:
        ValueError: a step reads an artifact no earlier step writes, two steps write one, or a
            step name appears twice.
        ConfigError: a step that does not exist.
    """
    specs = [resolve_step(s) for s in steps]
    made: dict[str, str] = {}
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"flow {name}: step '{spec.name}' appears twice")
        seen.add(spec.name)
        if spec.reads != ALL_EARLIER:
            missing = [a for a in spec.reads if a not in made]
            if missing:
                raise ValueError(
                    f"flow {name}: step '{spec.name}' reads {missing}, which no earlier step writes"
                )
        for a in spec.writes:
            if a in made:
                raise ValueError(f"flow {name}: '{a}' is written by both '{made[a]}' and '{spec.name}'")
            ARTIFACTS.get(a)  # unknown artifact kinds are named here, not at run time
            made[a] = spec.name
    return FLOWS.register(FlowSpec(name, tuple(steps), description))


def flow_steps(name: str) -> list[StepSpec]:
    """The resolved steps of a registered flow, in order.

    Raises:
        ConfigError: unknown flow (the message lists the registered ones).
    """
    return [resolve_step(s) for s in FLOWS.get(name).steps]


def make_plan(name: str) -> Plan:
    """The plan of a flow: steps with their folders, and where each artifact lives."""
    steps = flow_steps(name)
    artifacts = {a: f"{s.folder}/{ARTIFACTS.get(a).filename}" for s in steps for a in s.writes}
    planned = tuple(
        PlannedStep(name=s.name, folder=s.folder, reads=s.reads, writes=s.writes, description=s.description)
        for s in steps
    )
    return Plan(flow=name, steps=planned, artifacts=artifacts)


def select_steps(plan: Plan, until: str | None = None, only: str | None = None) -> list[str]:
    """The steps to visit: the whole flow, up to ``until``, or just ``only``.

    Raises:
        ConfigError: a step name that is unknown, or not part of this flow.
    """
    names = plan.step_names
    for name in (until, only):
        if name is not None and name not in names:
            from ..steps import STEPS

            STEPS.get(name)  # unknown anywhere -> lists the known steps
            raise ConfigError(f"step '{name}' is not part of this flow; its steps: {', '.join(names)}")
    if only is not None:
        return [only]
    if until is not None:
        return names[: names.index(until) + 1]
    return names


def model_step(flow: str) -> StepSpec | None:
    """The step of a flow that runs the model family's ``prepare`` (it writes the train summary)."""
    return next((s for s in flow_steps(flow) if "train_summary" in s.writes), None)


def check_flow_fits(config: RunConfig) -> None:
    """The run's flow exists and takes its model family: a flow other than the family's own must
    make the model with the same model step (e.g. ``train`` for Keras families).

    Raises:
        ConfigError: unknown flow, or a flow that cannot take this family's model.
    """
    from ..families import FAMILIES

    family = FAMILIES.get(config.model.kind)
    flow_steps(config.flow)  # unknown flow: lists the registered ones
    if config.flow == family.flow:
        return
    ours, theirs = model_step(family.flow), model_step(config.flow)
    if theirs is not None and (ours is None or theirs.name != ours.name):
        raise ConfigError(
            f"model.kind {family.kind} is made by step '{ours.name if ours else '?'}' (flow "
            f"{family.flow}); flow {config.flow} makes its model with step '{theirs.name}': leave flow "
            f"out to get {family.flow}"
        )
