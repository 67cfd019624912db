"""Published reference points for the five-class jet tagging task, with their caveat: they
were measured on another data set (the hls4ml LHC jet data, Delphes, 16 features per
particle, ~600k training jets), so they anchor the scale, not a like-for-like comparison."""

from __future__ import annotations

from ..records import Metric

__all__ = ["JET_LITERATURE", "jet_accuracy_anchors"]

#: Points drawn in sweep plots and listed in jet reports (accuracy None: not published).
JET_LITERATURE = [
    {
        "label": "JEDI-linear N=16",
        "accuracy_quantized": 0.7760,
        "latency_ns": 52.4,
        "lut": 37_700,
        "dsp": 0,
        "source": "calad0i/JEDI-linear result files (hls4ml 5-class Delphes jets, 16 features, xcvu13p)",
    },
    {
        "label": "Laatu et al. 2025 (HGQ2+da4ml transformer)",
        "accuracy_quantized": None,
        "latency_ns": 100.0,
        "lut": 279_000,
        "dsp": 0,
        "source": "Laatu et al. 2025, ~98-100 ns, ~279k LUT, 0 DSP (other data set)",
    },
]


def jet_accuracy_anchors() -> dict[str, Metric]:
    """Report accuracy rows for the published points that state an accuracy."""
    return {
        f"literature: {p['label']}": Metric(
            value=p["accuracy_quantized"],
            unit="fraction",
            source=f"{p['source']}; another data set, not comparable one to one",
            kind="literature",
        )
        for p in JET_LITERATURE
        if p["accuracy_quantized"] is not None
    }
