"""Frozen value types shared by steps and the report: numbers with their source, step records."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Metric", "StepRecord", "StepResult"]


class Metric(BaseModel):
    """A number and where it came from, e.g. ``Metric(value=14, unit="cycles", source="verilator")``.

    ``kind`` says what sort of number it is: "measured" (simulation, emulation, test-set
    evaluation), "estimate" (a cost model), or "post-synth" / "post-route" (vendor reports).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | int | None = Field(description="The number; None when it could not be obtained.")
    unit: str = Field("", description="Unit, e.g. 'cycles', 'ns', 'LUT', '%', 'fraction'.")
    source: str = Field(description="Tool or method that produced it, with version if known.")
    kind: Literal["measured", "estimate", "post-synth", "post-route", "config"] = "measured"
    n: int | None = Field(None, description="Number of samples it was measured on, if any.")
    note: str = Field("", description="Why it is missing or how it was cut, if relevant.")


class StepRecord(BaseModel):
    """What one step did: written to ``steps/<step>.json`` after its outputs are in place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    step: str
    status: Literal["ok", "failed", "skipped"]
    seconds: float
    started_at: str
    inputs_hash: str
    outputs_hash: str = ""
    tools: dict[str, str] = Field(default_factory=dict, description="tool name -> version")
    metrics: dict[str, Metric] = Field(default_factory=dict)
    info: dict[str, Any] = Field(default_factory=dict, description="Non-numeric facts, paths.")
    message: str = ""


class StepResult(BaseModel):
    """What a step function returns; the runner adds timing, hashes and status."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metrics: dict[str, Metric] = Field(default_factory=dict)
    tools: dict[str, str] = Field(default_factory=dict)
    info: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
