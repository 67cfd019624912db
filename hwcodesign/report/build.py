"""Assemble the report of a run from its step records and the files its steps wrote."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..records import Metric, StepRecord
from ..run import Run
from .schema import Report, StepSummary

__all__ = ["build_report", "load_train_summary"]

#: (report section, key in that section) <- (step, metric name); steps of both flows
_CURATED = {
    ("accuracy", "float"): [("train", "accuracy_float"), ("train_torch", "accuracy_float")],
    ("accuracy", "quantized"): [("train", "accuracy_quantized"), ("train_torch", "accuracy_quantized")],
    ("accuracy", "exported"): [("export", "accuracy_exported")],
    ("accuracy", "emulated"): [("convert", "accuracy_emulated")],
    ("accuracy", "rtl"): [("rtl", "accuracy_rtl")],
    ("accuracy", "hls4ml"): [("hls4ml_qonnx", "accuracy_hls4ml")],
    ("bit_exactness", "hls4ml_vs_keras"): [("convert", "bit_exact_fraction")],
    ("bit_exactness", "rtl_vs_hls4ml"): [("rtl", "bit_exact_vs_hls4ml")],
    ("bit_exactness", "rtl_vs_keras"): [("rtl", "bit_exact_vs_keras")],
    ("bit_exactness", "qonnx_vs_brevitas_argmax"): [("export", "argmax_agreement")],
    ("bit_exactness", "finn_python_vs_brevitas_argmax"): [("finn", "argmax_agreement_convert_to_hw")],
    ("bit_exactness", "finn_rtl_layers_vs_python"): [("finn_rtlsim", "rtl_layers_bit_exact_fraction")],
    ("bit_exactness", "hls4ml_vs_brevitas"): [("hls4ml_qonnx", "bit_exact_vs_brevitas")],
    ("model", "ebops"): [("train", "ebops")],
    ("model", "params_quantized"): [("train", "params_quantized"), ("train_torch", "params_quantized")],
    ("model", "params_float"): [("train", "params_float"), ("train_torch", "params_float")],
}
#: titles of the per-layer tables steps provide in ``info["layers"]``
_LAYER_TABLES = {
    "synth": "Pipeline stages (da4ml estimate, Yosys per stage)",
    "finn": "finn-plus layers: implementation and estimates",
    "finn_rtlsim": "finn-plus RTL layers simulated in Verilator",
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
    for (section, key), sources in _CURATED.items():
        for step, metric in sources:
            m = records[step].metrics.get(metric) if step in records else None
            if m:
                sections[section][key] = m
                break

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
        layers={
            _LAYER_TABLES.get(s, s): r.info["layers"] for s, r in records.items() if r.info.get("layers")
        },
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
