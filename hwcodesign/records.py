"""Frozen value types shared by steps and the report: numbers with their source, resource
tables, what each step contributes to the report, and step records."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Metric", "MetricKind", "ResourceTable", "Table", "ReportPart", "StepRecord", "StepResult"]

MetricKind = Literal[
    "measured",
    "estimate",
    "post-synth",
    "post-route",
    "config",
    "simulated",
    "measured-on-board",
    "literature",
]


class Metric(BaseModel):
    """A number and where it came from, e.g. ``Metric(value=14, unit="cycles", source="verilator")``.

    ``kind`` says what sort of number it is: "measured" (simulation, emulation, test-set
    evaluation), "estimate" (a cost model), "post-synth" / "post-route" (vendor reports),
    "simulated" (a model of a board, e.g. the virtual board's DMA), "measured-on-board",
    "literature" (a published number on other data, shown for scale).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | int | None = Field(description="The number; None when it could not be obtained.")
    unit: str = Field("", description="Unit, e.g. 'cycles', 'ns', 'LUT', '%', 'fraction'.")
    source: str = Field(description="Tool or method that produced it, with version if known.")
    kind: MetricKind = "measured"
    n: int | None = Field(None, description="Number of samples it was measured on, if any.")
    note: str = Field("", description="Why it is missing or how it was cut, if relevant.")


class ResourceTable(BaseModel):
    """Resource counts of one source (da4ml estimate, Yosys, Vivado post-route, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MetricKind = Field(description="estimate / post-synth / post-route")
    counts: dict[str, float | int] = Field(description="LUT, FF, DSP, BRAM_18K, ... -> count")
    percent: dict[str, float] = Field(default_factory=dict, description="% of the part, where known")
    part: str = Field("", description="The device the percentages refer to.")
    complete: bool = Field(True, description="False when the source covers only part of the design.")
    note: str = ""


class Table(BaseModel):
    """A titled table of rows (per layer, per pipeline stage, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    rows: list[dict[str, Any]]


class ReportPart(BaseModel):
    """What one step contributes to the report; the report merges the parts of all steps and
    refuses two steps writing the same key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accuracy: dict[str, Metric] = Field(default_factory=dict, description="test accuracy per model form")
    bit_exactness: dict[str, Metric] = Field(
        default_factory=dict, description="fraction of samples with identical outputs, per comparison"
    )
    model: dict[str, Metric] = Field(default_factory=dict, description="EBOPs, parameters, ...")
    latency: dict[str, Metric] = Field(default_factory=dict, description="cycles, ns, II, budget")
    resources: dict[str, ResourceTable] = Field(default_factory=dict, description="by source")
    deployment: dict[str, Metric] = Field(default_factory=dict, description="board / virtual board")
    tables: list[Table] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="what is missing or cut, and why")


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
    report: ReportPart = Field(default_factory=ReportPart)
    info: dict[str, Any] = Field(default_factory=dict, description="Non-numeric facts, paths.")
    message: str = ""


class StepResult(BaseModel):
    """What a step function returns; the runner adds timing, hashes and status."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metrics: dict[str, Metric] = Field(default_factory=dict)
    report: ReportPart = Field(default_factory=ReportPart)
    tools: dict[str, str] = Field(default_factory=dict)
    info: dict[str, Any] = Field(default_factory=dict)
    message: str = ""
