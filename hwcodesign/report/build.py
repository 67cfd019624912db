"""Assemble the report of a run from its step records: each record carries the ReportPart
its step declared; sections are merged and a key written twice is an error."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np

from ..artifacts import DATA_MANIFEST, MODEL_FORMS, RTL_OUTPUTS, load_rtl_project, load_train_summary, locate
from ..errors import InternalError, StepOrderError
from ..records import Metric, StepRecord
from ..run import Run
from ..train.metrics import binomial_error, regression_metrics
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
    data = _data_summary(run)
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
        data=data,
        auc=auc,
        efficiency=efficiency_rows(summary, data.get("counts", {}).get("test", {})),
        regression=regression_section(run, summary),
        inputs=inputs_section(run, summary),
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


def efficiency_rows(summary: dict, test_counts: dict[str, int]) -> list[dict]:
    """Signal efficiency at each fixed mistag rate per model form and class, with its binomial
    uncertainty on the class's test samples (one class against the rest)."""
    rows = []
    total = sum(test_counts.values())
    for form in MODEL_FORMS:
        for cls, by_rate in summary.get(form, {}).get("efficiency_at_mistag", {}).items():
            n_sig = int(test_counts.get(cls, 0))
            for rate, eff in by_rate.items():
                rows.append(
                    {
                        "model": form,
                        "class": cls,
                        "mistag": float(rate),
                        "efficiency": eff,
                        "uncertainty": binomial_error(eff, n_sig) if n_sig else None,
                        "n_signal": n_sig,
                        "n_background": total - n_sig,
                    }
                )
    return rows


def regression_section(run: Run, summary: dict) -> dict[str, dict]:
    """Residual statistics per model form of a regression (model step), and of the RTL outputs."""
    out = {
        form: {**summary[form]["regression"], "source": "model step, test set"}
        for form in MODEL_FORMS
        if "regression" in summary.get(form, {})
    }
    if out:
        try:
            with np.load(locate(run, RTL_OUTPUTS)) as f:
                if "labels" in f.files:
                    r = regression_metrics(f["rtl"], f["labels"]).summary()["regression"]
                    out["rtl"] = {**r, "source": "Verilator simulation of the RTL, test set"}
        except StepOrderError:
            pass
    return out


def inputs_section(run: Run, summary: dict) -> dict:
    """What the design takes and gives: the per-sample shape, the preprocessing of raw features
    (the emulator applies it, ``--prepared`` skips it), the fixed-point formats of the RTL ports,
    and whether the outputs are logits, probabilities or regression values."""
    from ..data.preprocess import preprocessing

    try:
        pre = preprocessing(run)
    except StepOrderError:
        return {}
    norm = pre["standardisation"]
    task = summary.get("quantized", {}).get("task") or {}
    out = {
        "shape": pre["input_shape"],
        "preprocessing": "none: the design takes the inputs as given"
        if norm is None
        else "standardised per feature (last axis): (x - mean) / std of the training split"
        + ("; all-zero entries (padding) stay 0" if pre["zero_rows_kept"] else ""),
        "emulate": "hw.emulate and `hwcodesign emulate` take raw features and apply this preprocessing; "
        "prepared=True / --prepared for inputs already preprocessed",
        "outputs": _outputs_are(task),
    }
    if norm is not None:
        out |= {"mean": norm["mean"], "std": norm["std"]}
    if task.get("kind") == "binary":
        out["threshold"] = task["threshold"]
    try:
        project = load_rtl_project(run)
    except StepOrderError:
        return out
    return out | {
        "input_format": _fixed(project.kif_in) + " per element, wrapping (the sender saturates)",
        "output_format": _fixed(project.kif_out) + " per element",
        "n_inputs": project.n_in,
        "n_outputs": project.n_out,
    }


def _outputs_are(task: dict) -> str:
    kind, output = task.get("kind", "multiclass"), task.get("output", "logits")
    if kind == "regression":
        return "regression values (one output)"
    if kind == "binary":
        return f"one {output[:-1]} per sample (class 1 at or above the threshold)"
    return f"{output}, one per class" + (" (apply a softmax for probabilities)" if output == "logits" else "")


def _fixed(kif) -> str:
    k, i, f = (int(v) for v in kif)
    return f"ap_{'' if k else 'u'}fixed<{k + i + f},{k + i}>"


def _data_summary(run: Run) -> dict:
    try:
        manifest = json.loads(locate(run, DATA_MANIFEST).read_text())
    except StepOrderError:
        return {}
    keys = ("source", "generator", "classes", "counts", "features", "n_particles", "input_shape", "labelled")
    return {k: manifest[k] for k in keys if k in manifest}
