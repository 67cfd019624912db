"""Assemble the report of a run from its step records: each record carries the ReportPart
its step declared; sections are merged and a key written twice is an error."""

from __future__ import annotations

import datetime as dt
import json

from ..artifacts import DATA_MANIFEST, MODEL_FORMS, load_train_summary, locate
from ..errors import InternalError, StepOrderError
from ..records import Metric, StepRecord
from ..run import Run
from .literature import jet_accuracy_anchors
from .schema import Report, StepSummary

__all__ = ["build_report", "load_train_summary"]

_SECTIONS = ("accuracy", "bit_exactness", "model", "latency", "resources", "deployment")


def build_report(run: Run, steps: list[str]) -> Report:
    """Merge the records of ``steps`` (those that ran) into a Report.

    Raises:
        InternalError: two steps wrote the same key of a section.
    """
    records: dict[str, StepRecord] = {}
    for s in steps:
        rec = run.record(s)
        if rec is not None:
            records[s] = rec
    merged: dict[str, dict] = {s: {} for s in _SECTIONS}
    owner: dict[tuple[str, str], str] = {}
    layers: dict[str, list] = {}
    notes: list[str] = []
    for step, rec in records.items():
        for section in _SECTIONS:
            for key, value in getattr(rec.report, section).items():
                if (section, key) in owner:
                    raise InternalError(
                        f"report key clash: {section}.{key} is written by steps "
                        f"'{owner[section, key]}' and '{step}'"
                    )
                owner[section, key] = step
                merged[section][key] = value
        for table in rec.report.tables:
            if table.title in layers:
                raise InternalError(f"report table '{table.title}' is written twice (step '{step}')")
            layers[table.title] = table.rows
        notes.extend(rec.report.notes)
    for key, m in merged["bit_exactness"].items():
        if isinstance(m, Metric) and m.value is not None and m.value < 1.0 and not key.endswith("_argmax"):
            notes.insert(0, f"NOT bit-exact: {key} identical on {m.value:.4%} of {m.n} samples")

    if run.config.data.dataset == "jets" and merged["accuracy"]:
        merged["accuracy"].update(jet_accuracy_anchors())
    summary = load_train_summary(run)
    auc = {k: summary[k]["auc"] for k in MODEL_FORMS if k in summary and "auc" in summary[k]}
    tools: dict[str, str] = {}
    for rec in records.values():
        tools.update(rec.tools)
    return Report(
        run={
            "name": run.config.name,
            "flow": run.config.flow,
            "folder": str(run.root),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        config=run.config.model_dump(mode="json"),
        data=_data_summary(run),
        auc=auc,
        layers=layers,
        steps=[
            StepSummary(
                step=r.step,
                status=r.status,
                seconds=r.seconds,
                started_at=r.started_at,
                tools=r.tools,
                message=r.message,
            )
            for r in records.values()
        ],
        tools=tools,
        metrics={s: dict(r.metrics) for s, r in records.items()},
        notes=notes,
        **merged,
    )


def _data_summary(run: Run) -> dict:
    try:
        manifest = json.loads(locate(run, DATA_MANIFEST).read_text())
    except StepOrderError:
        return {}
    keys = ("source", "generator", "classes", "counts", "features", "n_particles", "input_shape", "labelled")
    return {k: manifest[k] for k in keys if k in manifest}
