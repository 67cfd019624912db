"""Classification metrics computed from logits: accuracy, per-class ROC, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ClassificationMetrics", "classification_metrics", "softmax", "identical_fraction"]


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

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "auc": self.auc,
            "confusion": self.confusion,
            "n": self.n,
            "efficiency_at_mistag": self.efficiency_at_mistag,
        }


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


#: Mistag rates at which the report quotes each class's signal efficiency.
MISTAG_RATES = (0.01, 0.1)


def classification_metrics(
    logits: np.ndarray, labels: np.ndarray, classes: list[str], roc_points: int = 200
) -> ClassificationMetrics:
    """Accuracy, one-vs-rest ROC AUC per class and the confusion matrix (rows: truth)."""
    from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

    probs = softmax(logits.astype(np.float64))
    pred = probs.argmax(axis=1)
    auc, roc, eff = {}, {}, {}
    for i, c in enumerate(classes):
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
    )


def identical_fraction(a: np.ndarray, b: np.ndarray) -> tuple[float, int, list[int]]:
    """Fraction of samples whose outputs are identical in every element.

    Returns (fraction, number of mismatching samples, up to 10 mismatching indices).
    """
    a = a.reshape(len(a), -1)
    b = b.reshape(len(b), -1)
    same = np.all(a == b, axis=1)
    bad = np.flatnonzero(~same)
    return float(same.mean()), len(bad), bad[:10].tolist()
