"""Flows: named, ordered lists of steps, registered explicitly (``register_flow``).

A flow is checked when it is registered: every artifact a step reads is written by exactly
one earlier step. The runner lives in ``flows/runner.py``.
"""

from __future__ import annotations

from ..errors import ConfigError, RunExistsError
from ..steps import ALL_EARLIER, StepSpec, get_step

__all__ = [
    "FLOWS",
    "register_flow",
    "get_flow",
    "plan_steps",
    "producer",
    "upstream_steps",
    "run_flow",
    "StepEvent",
    "RunExistsError",
]

FLOWS: dict[str, tuple[str, ...]] = {}


def register_flow(name: str, steps: tuple[str, ...]) -> None:
    """Register a flow after checking that every artifact read is made by an earlier step.

    Raises:
        ValueError: a step reads an artifact no earlier step writes, or two steps write one.
    """
    made: dict[str, str] = {}
    for step in steps:
        spec = get_step(step)
        if spec.reads != ALL_EARLIER:
            missing = [a for a in spec.reads if a not in made]
            if missing:
                raise ValueError(f"flow {name}: step '{step}' reads {missing}, which no earlier step writes")
        for a in spec.writes:
            if a in made:
                raise ValueError(f"flow {name}: '{a}' is written by both '{made[a]}' and '{step}'")
            made[a] = step
    FLOWS[name] = tuple(steps)


def get_flow(name: str) -> tuple[str, ...]:
    try:
        return FLOWS[name]
    except KeyError:
        raise ConfigError(f"unknown flow '{name}'; known: {', '.join(FLOWS)}") from None


def plan_steps(flow: tuple[str, ...], until: str | None = None, only: str | None = None) -> list[str]:
    """The steps to visit: the whole flow, up to ``until``, or just ``only``."""
    for name in (until, only):
        if name is not None and name not in flow:
            get_step(name)  # unknown anywhere -> lists the known steps
            raise ConfigError(f"step '{name}' is not part of this flow; its steps: {', '.join(flow)}")
    if only is not None:
        return [only]
    if until is not None:
        return list(flow[: flow.index(until) + 1])
    return list(flow)


def producer(flow_name: str, artifact: str) -> StepSpec:
    """The step of a flow that writes an artifact.

    Raises:
        ConfigError: no step of the flow writes it.
    """
    for step in get_flow(flow_name):
        spec = get_step(step)
        if artifact in spec.writes:
            return spec
    raise ConfigError(f"flow {flow_name} has no step that writes '{artifact}'")


def upstream_steps(flow: tuple[str, ...], step: str) -> list[str]:
    """The steps whose outputs ``step`` reads, in flow order."""
    spec = get_step(step)
    earlier = list(flow[: flow.index(step)])
    if spec.reads == ALL_EARLIER:
        return earlier
    return [s for s in earlier if set(get_step(s).writes) & set(spec.reads)]


_FINN = ("finn", "finn_rtlsim", "hls4ml_qonnx", "package_finn", "virtual_board", "report")
register_flow(
    "keras_hls4ml",
    ("data", "train", "convert", "rtl", "emulate", "synth", "package", "virtual_board", "report"),
)
register_flow("torch_finn", ("data", "train_torch", "export", *_FINN))
register_flow("qonnx_finn", ("data", "import_qonnx", *_FINN))

from .runner import StepEvent, run_flow  # noqa: E402  (the runner needs the registry above)
