"""Step ``data``: load or generate the dataset and store the standardised splits."""

from __future__ import annotations

import json
from pathlib import Path

from ..artifacts import DATA_MANIFEST, DATASET
from ..config import RunConfig
from ..data.load import check_data_source, load_data
from ..records import Metric, StepResult
from ..run import Run

__all__ = ["step_data", "check_data"]


def check_data(config: RunConfig) -> None:
    """Cheap checks before any step runs (see ``data.load.check_data_source``)."""
    check_data_source(config.data)


def step_data(run: Run, out: Path) -> StepResult:
    """Write ``data/dataset.npz`` (train/val/test) and ``data/manifest.json``."""
    ds = load_data(run.config.data, on_progress=lambda d, n: run.progress("Pythia8 chunks", d, n))
    ds.save(out / DATASET.filename)
    shape = list(ds.x_train.shape[1:])
    manifest = {**ds.meta, "counts": ds.counts(), "input_shape": shape, "labelled": ds.labelled}
    (out / DATA_MANIFEST.filename).write_text(json.dumps(manifest, indent=2))
    source = str(ds.meta.get("generator") or run.config.data.dataset)
    metrics = {
        f"n_{split}": Metric(value=len(x), unit="samples", source=source, kind="config")
        for split, x in (("train", ds.x_train), ("val", ds.x_val), ("test", ds.x_test))
    }
    made = ds.meta.get("generated_now") or {}
    if made.get("jets"):
        metrics["generation_jets_per_s"] = Metric(
            value=round(made["jets_per_s"], 1),
            unit="jets/s",
            source=f"Pythia8 + FastJet on {made['workers']} processes",
            n=made["jets"],
        )
    return StepResult(
        metrics=metrics,
        tools=ds.meta.get("versions", {}),
        info={"source": source, "classes": ds.classes, "input_shape": shape},
    )
