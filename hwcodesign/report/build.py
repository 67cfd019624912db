"""Assemble the report of a run from its step records and the files its steps wrote."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..records import Metric, StepRecord
from ..run import Run
from .schema import Report, StepSummary

__all__ = ["build_report", "load_train_summary"]

#: (report section, key in that section) <- (step, metric name)
_CURATED = {
    ("accuracy", "float"): ("train", "accuracy_float"),
    ("accuracy", "quantized"): ("train", "accuracy_quantized"),
    ("accuracy", "emulated"): ("convert", "accuracy_emulated"),
    ("accuracy", "rtl"): ("rtl", "accuracy_rtl"),
    ("bit_exactness", "hls4ml_vs_keras"): ("convert", "bit_exact_fraction"),
    ("bit_exactness", "rtl_vs_hls4ml"): ("rtl", "bit_exact_vs_hls4ml"),
    ("bit_exactness", "rtl_vs_keras"): ("rtl", "bit_exact_vs_keras"),
    ("model", "ebops"): ("train", "ebops"),
    ("model", "params_quantized"): ("train", "params_quantized"),
    ("model", "params_float"): ("train", "params_float"),
}


def load_train_summary(run: Run) -> dict:
    p = run.root / "model" / "metrics.json"
    return json.loads(p.read_text()) if p.is_file() else {}


def build_report(run: Run, steps: list[str]) -> Report:
    """Collect every step record of ``steps`` (those that ran) into a Report."""
    records: dict[str, StepRecord] = {}
    for s in steps:
        rec = run.record(s)
        if rec is not None:
            records[s] = rec
    sections: dict[str, dict] = {"accuracy": {}, "bit_exactness": {}, "model": {}}
    for (section, key), (step, metric) in _CURATED.items():
        m = records.get(step) and records[step].metrics.get(metric)
        if m:
            sections[section][key] = m

    summary = load_train_summary(run)
    auc = {k: summary[k]["auc"] for k in ("float", "quantized") if k in summary}
    tools: dict[str, str] = {}
    for rec in records.values():
        tools.update(rec.tools)
    data_manifest = _read_json(run.root / "data" / "manifest.json")
    report = Report(
        run={
            "name": run.config.name,
            "flow": run.config.flow,
            "folder": str(run.root),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        config=run.config.model_dump(mode="json"),
        data={
            k: data_manifest[k]
            for k in ("source", "generator", "classes", "counts", "features", "n_particles", "input_shape")
            if k in data_manifest
        },
        accuracy=sections["accuracy"],
        auc=auc,
        bit_exactness=sections["bit_exactness"],
        model=sections["model"],
        latency=_section(records, "latency"),
        resources=_section(records, "resources"),
        layers=[row for rec in records.values() for row in rec.info.get("layers", [])],
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
        notes=_notes(records, sections),
    )
    return report


def _section(records: dict[str, StepRecord], name: str) -> dict:
    """Steps may contribute a whole section through ``info[name]`` (latency, resources)."""
    out: dict = {}
    for rec in records.values():
        if name in rec.info:
            out.update(rec.info[name])
    return out


def _notes(records: dict[str, StepRecord], sections: dict) -> list[str]:
    notes = []
    for key, m in sections["bit_exactness"].items():
        if isinstance(m, Metric) and m.value is not None and m.value < 1.0:
            notes.append(f"NOT bit-exact: {key} identical on {m.value:.4%} of {m.n} samples")
    for rec in records.values():
        notes.extend(rec.info.get("notes", []))
    return notes


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}
