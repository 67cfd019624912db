"""Plots for the HTML report. Each function maps plain data to a PNG (bytes)."""

from __future__ import annotations

import io

import numpy as np

__all__ = ["roc_plot", "confusion_plot", "accuracy_plot", "history_plot", "timing_plot", "resource_plot"]


def _figure(w: float = 5.5, h: float = 4.0):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(w, h), dpi=110)


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def roc_plot(
    rocs: dict[str, dict[str, tuple[list[float], list[float]]]], aucs: dict[str, dict[str, float]]
) -> bytes:
    """ROC per class as trigger studies draw it: background rejection (1 / mistag rate, log)
    vs signal efficiency; one line style per model (float dashed, quantized solid)."""
    fig, ax = _figure(6, 4.5)
    styles = {"float_reference": ":", "float": "--", "quantized": "-"}
    colors = {}
    for model, per_class in rocs.items():
        for cls, (fpr, tpr) in per_class.items():
            fpr_a, tpr_a = np.asarray(fpr), np.asarray(tpr)
            keep = fpr_a > 0
            line = ax.plot(
                tpr_a[keep],
                1.0 / fpr_a[keep],
                styles.get(model, "-"),
                color=colors.get(cls),
                label=f"{cls} {model} (AUC {aucs.get(model, {}).get(cls, float('nan')):.3f})",
            )
            colors.setdefault(cls, line[0].get_color())
    ax.set_yscale("log")
    ax.set_xlabel("signal efficiency (true positive rate)")
    ax.set_ylabel("background rejection (1 / mistag rate)")
    ax.set_ylim(1, 1e3)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5, ncol=2)
    return _png(fig)


def confusion_plot(matrix: list[list[int]], classes: list[str], title: str) -> bytes:
    m = np.asarray(matrix, float)
    norm = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    n = len(classes)
    fig, ax = _figure(max(4.6, 0.55 * n + 1.6), max(4.0, 0.5 * n + 1.4))  # room for 10 classes
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                f"{norm[i, j]:.2f}",
                ha="center",
                va="center",
                color="white" if norm[i, j] > 0.5 else "black",
                fontsize=8 if n <= 6 else 7,
            )
    slant = {"rotation": 45, "ha": "right"} if n > 5 else {}
    ax.set_xticks(range(n), classes, **slant)
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)
    return _png(fig)


def accuracy_plot(values: dict[str, float]) -> bytes:
    fig, ax = _figure(4.8, 3.2)
    names = list(values)
    bars = ax.bar(names, [100 * values[n] for n in names], color="#4c72b0")
    for b, n in zip(bars, names, strict=True):
        ax.text(
            b.get_x() + b.get_width() / 2,
            b.get_height(),
            f"{100 * values[n]:.2f}%",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    low = min(100 * v for v in values.values())
    ax.set_ylim(max(0, low - 10), 100)
    ax.set_ylabel("test accuracy (%)")
    return _png(fig)


def history_plot(histories: dict[str, dict[str, list[float]]]) -> bytes:
    """Validation accuracy per epoch for each model, and EBOPs on a second axis."""
    fig, ax = _figure(6, 3.6)
    for name, h in histories.items():
        if "val_accuracy" in h:
            ax.plot(range(1, len(h["val_accuracy"]) + 1), h["val_accuracy"], label=f"{name} val acc")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.grid(alpha=0.3)
    ebops = histories.get("quantized", {}).get("ebops")
    if ebops:
        ax2 = ax.twinx()
        ax2.plot(range(1, len(ebops) + 1), ebops, color="tab:red", alpha=0.6, label="EBOPs")
        ax2.set_ylabel("EBOPs", color="tab:red")
        ax2.set_yscale("log")
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def timing_plot(seconds: dict[str, float]) -> bytes:
    fig, ax = _figure(5.5, 0.5 + 0.35 * len(seconds))
    names = list(seconds)[::-1]
    ax.barh(names, [seconds[n] for n in names], color="#55a868")
    for i, n in enumerate(names):
        ax.text(seconds[n], i, f" {seconds[n]:.1f} s", va="center", fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_xlim(0, max(seconds.values()) * 1.25 + 1e-9)
    return _png(fig)


def resource_plot(percent: dict[str, dict[str, float]]) -> bytes:
    """Utilisation (% of the part) per resource, one bar group per source."""
    fig, ax = _figure(5.5, 3.2)
    sources = list(percent)
    kinds = sorted({k for v in percent.values() for k in v})
    width = 0.8 / max(1, len(sources))
    for i, src in enumerate(sources):
        xs = np.arange(len(kinds)) + i * width
        ax.bar(xs, [percent[src].get(k, 0) for k in kinds], width, label=src)
    ax.set_xticks(np.arange(len(kinds)) + width * (len(sources) - 1) / 2, kinds)
    ax.set_ylabel("% of part")
    ax.legend(fontsize=7)
    return _png(fig)
