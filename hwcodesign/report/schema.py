"""The report schema: ``report/report.json`` is the single source of truth for numbers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..records import Metric, ResourceTable

__all__ = ["Report", "StepSummary", "SCHEMA_VERSION"]

SCHEMA_VERSION = 2


class StepSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    step: str
    status: str
    seconds: float
    started_at: str
    tools: dict[str, str] = Field(default_factory=dict)
    message: str = ""


class Report(BaseModel):
    """Everything a run measured. Every number is a Metric carrying its source; the sections
    are the merged ``ReportPart``s of the steps (a key written by two steps is an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    run: dict[str, Any] = Field(description="name, flow, folder, created")
    config: dict[str, Any]
    data: dict[str, Any] = Field(default_factory=dict, description="source, classes, counts")
    accuracy: dict[str, Metric] = Field(default_factory=dict, description="test accuracy per model form")
    auc: dict[str, dict[str, float]] = Field(default_factory=dict, description="model -> class -> ROC AUC")
    efficiency: list[dict[str, Any]] = Field(
        default_factory=list,
        description="signal efficiency at fixed mistag rates: model, class, mistag, efficiency, "
        "binomial uncertainty, n_signal, n_background",
    )
    regression: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="model form -> residual bias, resolution, RMS, MAE (regression)"
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict, description="what the design takes (shape, preprocessing, format) and gives"
    )
    bit_exactness: dict[str, Metric] = Field(
        default_factory=dict, description="fraction of test samples with identical outputs (or argmax)"
    )
    model: dict[str, Metric] = Field(default_factory=dict, description="EBOPs, parameters")
    latency: dict[str, Metric] = Field(default_factory=dict, description="cycles, ns, II, budget")
    resources: dict[str, ResourceTable] = Field(default_factory=dict, description="by source")
    deployment: dict[str, Metric] = Field(default_factory=dict, description="virtual board / board")
    layers: dict[str, list[dict[str, Any]]] = Field(default_factory=dict, description="tables by title")
    steps: list[StepSummary] = Field(default_factory=list)
    tools: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, dict[str, Metric]] = Field(default_factory=dict, description="every metric, by step")
    notes: list[str] = Field(default_factory=list, description="what is missing and why")
