"""Metrics computed from a model's outputs, for the three kinds of model a run can have:

* **multi-class** (one output per class, logits or probabilities): accuracy (argmax),
  one-vs-rest ROC AUC per class, signal efficiency at fixed mistag rates, confusion matrix;
* **binary** (one output unit, e.g. a sigmoid): the output is the score of class 1; accuracy at
  a threshold (0.5 for probabilities, 0 for logits, or the one chosen), ROC AUC, efficiency
  at fixed mistag, 2x2 confusion matrix;
* **regression** (float targets): no accuracy; the residuals (output - target): bias (mean),
  resolution (standard deviation), RMS, MAE, and the resolution of the central 68 %.

Integer labels are classes, float labels are regression targets (``data/files.py`` keeps them
so). Every fraction comes with its binomial uncertainty (:func:`binomial_error`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ClassificationMetrics",
    "RegressionMetrics",
    "classification_metrics",
    "regression_metrics",
    "evaluate_outputs",
    "task_of",
    "accuracy",
    "accuracy_of_run_outputs",
    "predicted_class",
    "softmax",
    "identical_fraction",
    "binomial_error",
    "MISTAG_RATES",
]

#: Mistag rates at which the report quotes each class's signal efficiency.
MISTAG_RATES = (0.01, 0.1)


def binomial_error(p: float, n: int) -> float:
    """Standard error of a fraction ``p`` measured on ``n`` independent samples, sqrt(p(1-p)/n)
    (0 at p = 0 or 1: read those with the sample count)."""
    return float(np.sqrt(max(p * (1.0 - p), 0.0) / n)) if n else float("nan")


@dataclass(frozen=True)
class ClassificationMetrics:
    accuracy: float
    auc: dict[str, float]
    confusion: list[list[int]]
    roc: dict[str, tuple[list[float], list[float]]]  # class -> (fpr, tpr), thinned for plots
    n: int
    #: class -> {mistag rate: signal efficiency}, from the full ROC (best working point with a
    #: mistag rate at or below the target), as trigger studies quote taggers
    efficiency_at_mistag: dict[str, dict[str, float]]
    task: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "accuracy_uncertainty": binomial_error(self.accuracy, self.n),
            "auc": self.auc,
            "confusion": self.confusion,
            "n": self.n,
            "efficiency_at_mistag": self.efficiency_at_mistag,
            "task": self.task,
        }


@dataclass(frozen=True)
class RegressionMetrics:
    """Residuals (output - target) of a single-output regression."""

    bias: float
    resolution: float
    rms: float
    mae: float
    resolution68: float  # half the width of the central 68 % of the residuals
    n: int
    task: dict = field(default_factory=dict)
    roc: dict = field(default_factory=dict)  # none: kept so callers can treat both kinds alike

    def summary(self) -> dict:
        keys = ("bias", "resolution", "rms", "mae", "resolution68", "n")
        return {"regression": {k: getattr(self, k) for k in keys}, "n": self.n, "task": self.task}


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def task_of(
    outputs: np.ndarray, labels: np.ndarray | None, output: str | None = None, threshold=None
) -> dict:
    """What the outputs are and how they are read: ``kind`` (multiclass / binary / regression),
    ``output`` (logits / probabilities / values) and, for binary, the ``threshold``.

    Without ``output``, a single output whose values all lie in [0, 1] is read as a
    probability, otherwise as a logit (the report says which).
    """
    y = np.asarray(outputs)
    single = y.ndim == 1 or y.reshape(len(y), -1).shape[1] == 1
    if labels is not None and np.issubdtype(np.asarray(labels).dtype, np.floating):
        return {"kind": "regression", "output": "values"}
    if not single:
        return {"kind": "multiclass", "output": output or "logits"}
    if output is None:
        output = "probabilities" if len(y) and np.all((y >= 0) & (y <= 1)) else "logits"
    if threshold is None:
        threshold = 0.5 if output == "probabilities" else 0.0
    return {"kind": "binary", "output": output, "threshold": float(threshold)}


def _scores(outputs: np.ndarray, task: dict) -> np.ndarray:
    """Per-class scores (n, C) for ROC curves: softmax of logits, or [1 - s, s] for binary."""
    y = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    if task["kind"] == "binary":
        s = y[:, 0] if task["output"] == "probabilities" else 1.0 / (1.0 + np.exp(-y[:, 0]))
        return np.stack([1.0 - s, s], axis=1)
    return y if task["output"] == "probabilities" else softmax(y)


def predicted_class(outputs: np.ndarray, task: dict) -> np.ndarray:
    y = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    if task["kind"] == "binary":
        return (y[:, 0] >= task["threshold"]).astype(np.int64)
    return y.argmax(axis=1)


def accuracy(outputs: np.ndarray, labels: np.ndarray, task: dict | None = None) -> float | None:
    """Fraction classified right (argmax, or the threshold of a binary model); None for a regression."""
    task = task or task_of(outputs, labels)
    if task["kind"] == "regression":
        return None
    return float((predicted_class(outputs, task) == labels).mean())


def accuracy_of_run_outputs(outputs: np.ndarray, labels: np.ndarray, summary: dict) -> float | None:
    """Accuracy of hardware outputs read as the model step read the quantized model's (its
    ``task`` in the train summary: argmax, or a binary threshold); None for a regression."""
    return accuracy(outputs, labels, summary.get("quantized", {}).get("task") or None)


def classification_metrics(
    logits: np.ndarray,
    labels: np.ndarray,
    classes: list[str],
    roc_points: int = 200,
    task: dict | None = None,
) -> ClassificationMetrics | RegressionMetrics:
    """Accuracy, one-vs-rest ROC AUC per class and the confusion matrix (rows: truth); a
    regression (float labels) gets :func:`regression_metrics` instead.

    Raises:
        ConfigError: a single-output model with labels of more than two classes.
    """
    from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

    task = task or task_of(logits, labels)
    if task["kind"] == "regression":
        return regression_metrics(logits, labels, task)
    if task["kind"] == "binary":
        classes = _binary_classes(labels, classes)
    probs = _scores(logits, task)
    pred = predicted_class(logits, task)
    auc, roc, eff = {}, {}, {}
    for i, c in enumerate(classes):
        if task["kind"] == "binary" and i == 0:
            continue  # one score: the ROC of class 1 (class 0's is its mirror image)
        truth = labels == i
        if truth.all() or not truth.any():
            continue
        auc[c] = float(roc_auc_score(truth, probs[:, i]))
        fpr, tpr, _ = roc_curve(truth, probs[:, i])
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(roc_points, len(fpr))).astype(int))
        roc[c] = (fpr[keep].round(5).tolist(), tpr[keep].round(5).tolist())
        eff[c] = {f"{r:g}": float(tpr[fpr <= r].max()) for r in MISTAG_RATES}
    cm = confusion_matrix(labels, pred, labels=range(len(classes)))
    return ClassificationMetrics(
        accuracy=float((pred == labels).mean()),
        auc=auc,
        confusion=cm.tolist(),
        roc=roc,
        n=len(labels),
        efficiency_at_mistag=eff,
        task=task,
    )


def _binary_classes(labels: np.ndarray, classes: list[str]) -> list[str]:
    from ..errors import ConfigError

    if len(labels) and int(labels.max()) > 1:
        raise ConfigError(
            f"the model has one output (a binary classifier) but the labels go up to {int(labels.max())}: "
            f"give it one output per class, or labels 0/1"
        )
    return list(classes) if len(classes) == 2 else ["0", "1"]


def regression_metrics(
    outputs: np.ndarray, targets: np.ndarray, task: dict | None = None
) -> RegressionMetrics:
    """Residuals of a single-output regression: bias, resolution, RMS, MAE, central-68 % width.

    Raises:
        ConfigError: the model has more than one output.
    """
    from ..errors import ConfigError

    y = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    if y.shape[1] != 1:
        raise ConfigError(
            f"float labels mean a regression, but the model has {y.shape[1]} outputs: a regression "
            f"here has one output (give integer labels for a classifier)"
        )
    r = y[:, 0] - np.asarray(targets, np.float64).reshape(-1)
    lo, hi = np.percentile(r, [16, 84]) if len(r) else (np.nan, np.nan)
    return RegressionMetrics(
        bias=float(r.mean()),
        resolution=float(r.std()),
        rms=float(np.sqrt(np.mean(r**2))),
        mae=float(np.mean(np.abs(r))),
        resolution68=float((hi - lo) / 2),
        n=len(r),
        task=task or {"kind": "regression", "output": "values"},
    )


def evaluate_outputs(
    outputs: np.ndarray, ds, history: dict | None, n_params: int | None, output: str | None = None
) -> dict:
    """The model step's summary of one model form (as ``models.common.evaluate``), reading the
    outputs as ``output`` (logits / probabilities). A binary model is read at ``data.threshold``
    (``ds.meta["threshold"]``, a probability: for logits it becomes log(t / (1 - t)))."""
    out: dict = {"history": history or {}, "params": n_params}
    if ds.y_test is not None:
        t = ds.meta.get("threshold")
        if t is not None and output == "logits" and 0 < t < 1:
            t = float(np.log(t / (1 - t)))
        task = task_of(outputs, ds.y_test, output, t)
        m = classification_metrics(outputs, ds.y_test, ds.classes, task=task)
        out.update(m.summary(), roc=m.roc)
    return out


def identical_fraction(a: np.ndarray, b: np.ndarray) -> tuple[float, int, list[int]]:
    """Fraction of samples whose outputs are identical in every element.

    Returns (fraction, number of mismatching samples, up to 10 mismatching indices).
    """
    a = a.reshape(len(a), -1)
    b = b.reshape(len(b), -1)
    same = np.all(a == b, axis=1)
    bad = np.flatnonzero(~same)
    return float(same.mean()), len(bad), bad[:10].tolist()
