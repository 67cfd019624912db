"""Step ``data``: load or generate the dataset and store the standardised splits."""

from __future__ import annotations

import json
from pathlib import Path

from ..config import ImageDataConfig, JetDataConfig, RunConfig
from ..data.splits import SplitDataset
from ..records import Metric, StepResult
from ..run import Run

__all__ = ["step_data", "load_dataset", "check_data", "expected_input_shape"]

DATASET_FILE = "dataset.npz"


def step_data(run: Run, out: Path) -> StepResult:
    """Write ``data/dataset.npz`` (train/val/test) and ``data/manifest.json``."""
    cfg = run.config.data
    if isinstance(cfg, JetDataConfig):
        from ..data.jets import load_jets

        ds = load_jets(cfg, on_progress=lambda d, n: run.progress("Pythia8 chunks", d, n))
    else:
        from ..data.images import load_images

        ds = load_images(cfg)
    ds.save(out / DATASET_FILE)
    manifest = {**ds.meta, "counts": ds.counts(), "input_shape": list(ds.x_train.shape[1:])}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    source = _source(cfg, ds)
    return StepResult(
        metrics={
            f"n_{split}": Metric(value=len(y), unit="samples", source=source, kind="config")
            for split, y in (("train", ds.y_train), ("val", ds.y_val), ("test", ds.y_test))
        },
        tools=ds.meta.get("versions", {}),
        info={"source": source, "classes": ds.classes, "input_shape": list(ds.x_train.shape[1:])},
    )


def check_data(config: RunConfig) -> None:
    """Cheap checks before any step runs: files present, generator installed, sizes sane.

    Raises:
        UserError: the first problem, in one line.
    """
    cfg = config.data
    if isinstance(cfg, JetDataConfig):
        from ..data.jets import check_jet_source

        check_jet_source(cfg)
    else:
        from ..data.images import check_images

        check_images(cfg)


def expected_input_shape(cfg: JetDataConfig | ImageDataConfig) -> tuple[int, ...]:
    """Shape of one input sample the data step will produce (without the batch axis)."""
    if isinstance(cfg, JetDataConfig):
        return (cfg.n_particles, len(cfg.features))
    return (1, 28, 28) if cfg.dataset == "fashion_mnist" else (1, 8, 8)


def load_dataset(run: Run) -> SplitDataset:
    """The splits written by step ``data``."""
    return SplitDataset.load(run.path("data") / DATASET_FILE)


def _source(cfg: JetDataConfig | ImageDataConfig, ds: SplitDataset) -> str:
    return str(ds.meta.get("generator") or cfg.dataset)
