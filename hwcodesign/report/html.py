"""Render a Report (plus the run's plot data) as one self-contained HTML page."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from ..artifacts import MODEL_FORMS
from ..train.metrics import binomial_error
from . import plots
from .schema import Report

__all__ = ["render_html"]

_TEMPLATES = Path(__file__).parent / "templates"


def render_html(report: Report, train_summary: dict) -> str:
    """HTML for people: the report's tables plus plots (ROC, confusion, accuracy, timings)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True)
    classes = train_summary.get("classes") or report.data.get("classes", [])
    return env.get_template("report.html.j2").render(
        r=report,
        classes=classes,
        plots=_plots(report, train_summary, classes),
        config_yaml=yaml.safe_dump(report.config, sort_keys=False),
        pct=_pct,
        fmt=_fmt,
        err=binomial_error,
    )


def _plots(report: Report, summary: dict, classes: list[str]) -> dict[str, list[tuple[str, str]]]:
    def b64(png: bytes) -> str:
        return base64.b64encode(png).decode()

    out: dict[str, list[tuple[str, str]]] = {"accuracy": [], "model": [], "steps": [], "resources": []}
    models = [m for m in MODEL_FORMS if summary.get(m, {}).get("roc")]
    if models:
        rocs = {m: summary[m]["roc"] for m in models}
        out["accuracy"].append(
            (
                "ROC per class (one vs the rest): background rejection vs signal efficiency; "
                "dashed: float twin, dotted: float reference",
                b64(plots.roc_plot(rocs, {m: summary[m]["auc"] for m in models})),
            )
        )
    if "confusion" in summary.get("quantized", {}):
        out["accuracy"].append(
            (
                "Confusion matrix of the quantized model (rows normalised)",
                b64(plots.confusion_plot(summary["quantized"]["confusion"], classes, "quantized model")),
            )
        )
    acc = {k: m.value for k, m in report.accuracy.items() if m.value is not None and m.kind != "literature"}
    if acc:
        out["accuracy"].append(
            ("Test accuracy: float vs quantized vs emulated hardware", b64(plots.accuracy_plot(acc)))
        )
    hist = {m: summary[m].get("history", {}) for m in MODEL_FORMS if summary.get(m, {}).get("history")}
    if hist:
        out["model"].append(
            ("Training: validation accuracy and EBOPs per epoch", b64(plots.history_plot(hist)))
        )
    if report.steps:
        out["steps"].append(
            ("Wall time per step", b64(plots.timing_plot({s.step: s.seconds for s in report.steps})))
        )
    percent = {src: res.percent for src, res in report.resources.items() if res.percent}
    if percent:
        out["resources"].append(
            ("Utilisation of the target part per source", b64(plots.resource_plot(percent)))
        )
    return out


def _pct(v, digits: int = 2) -> str:
    return "n/a" if v is None else f"{100 * v:.{digits}f}%"


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.3f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
