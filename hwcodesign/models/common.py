"""What every frontend's model step does the same way: evaluate logits on the test set, and
turn the evaluation into stored predictions, a summary file, metrics and report entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..artifacts import MODEL_FORMS, TRAIN_SUMMARY, Predictions, save_predictions
from ..errors import ConfigError
from ..records import Metric, ReportPart, Table

if TYPE_CHECKING:
    from ..data.splits import SplitDataset

__all__ = ["evaluate", "finish_model_step", "check_input_shape"]


def evaluate(logits: np.ndarray, ds: SplitDataset, history: dict | None, n_params: int | None) -> dict:
    """Accuracy, AUC, ROC, confusion on the test set (empty when unlabelled)."""
    from ..train.metrics import classification_metrics

    out: dict = {"history": history or {}, "params": n_params}
    if ds.y_test is not None:
        m = classification_metrics(logits, ds.y_test, ds.classes)
        out.update(m.summary(), roc=m.roc)
    return out


def finish_model_step(
    out: Path,
    ds: SplitDataset,
    logits: dict[str, np.ndarray],
    summary: dict,
    source: str,
    labels_of: dict[str, str] | None = None,
) -> tuple[dict[str, Metric], ReportPart]:
    """Write predictions + summary for ``logits`` ("quantized" = the model that becomes
    hardware; optional "float" twin and "float_reference", see ``models/reference.py``) and
    return metrics and the report's accuracy / model entries."""
    save_predictions(out, Predictions(logits["quantized"], ds.y_test, logits.get("float")))
    (out / TRAIN_SUMMARY.filename).write_text(json.dumps({"classes": ds.classes, **summary}, indent=2))
    n = len(ds.x_test)
    metrics: dict[str, Metric] = {}
    for name in MODEL_FORMS:
        s = summary.get(name)
        if s is None:
            continue
        label = (labels_of or {}).get(name, name)
        if "accuracy" in s:
            metrics[f"accuracy_{name}"] = Metric(
                value=s["accuracy"], unit="fraction", source=f"{source}, {label}", n=n
            )
            metrics[f"mean_auc_{name}"] = Metric(
                value=float(np.mean(list(s["auc"].values()))) if s["auc"] else None,
                unit="",
                source=source,
                n=n,
            )
        if s.get("params") is not None:
            metrics[f"params_{name}"] = Metric(
                value=s["params"], unit="weights", source="model", kind="config"
            )
    report = ReportPart(
        tables=_efficiency_table(summary, n),
        accuracy={k.removeprefix("accuracy_"): m for k, m in metrics.items() if k.startswith("accuracy_")},
        model={k: m for k, m in metrics.items() if k.startswith("params_")},
        notes=[]
        if ds.y_test is not None
        else ["unlabelled data: no accuracy, only agreement between implementations"],
    )
    return metrics, report


def _efficiency_table(summary: dict, n: int) -> list[Table]:
    """Signal efficiency per class at fixed mistag rates (one-vs-rest), float vs quantized."""
    models = [m for m in MODEL_FORMS if summary.get(m, {}).get("efficiency_at_mistag")]
    if not models:
        return []
    rows = []
    for cls in summary[models[0]]["efficiency_at_mistag"]:
        row: dict = {"class": cls}
        for m in models:
            for rate, value in summary[m]["efficiency_at_mistag"].get(cls, {}).items():
                row[f"{m} eff @ mistag {float(rate):.0%}"] = round(value, 4)
            row[f"{m} AUC"] = round(summary[m]["auc"].get(cls, float("nan")), 4)
        rows.append(row)
    title = f"Signal efficiency at fixed mistag rate (one class vs the rest, {n} test samples)"
    return [Table(title=title, rows=rows)]


def check_input_shape(model_shape: tuple | None, data_shape: tuple, model_name: str) -> None:
    """The model's per-sample input shape must equal the data's (None = any size on that axis).

    Raises:
        ConfigError: naming both shapes; nothing is squeezed or reshaped silently.
    """
    ok = (
        model_shape is not None
        and len(model_shape) == len(data_shape)
        and all(m in (None, d) for m, d in zip(model_shape, data_shape, strict=True))
    )
    if not ok:
        raise ConfigError(
            f"model {model_name} takes inputs of shape {model_shape}, but the data gives "
            f"{data_shape} per sample; the shapes must match exactly (nothing is squeezed or reshaped)"
        )
