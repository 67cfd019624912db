"""The jet tagger the benchmarks time, trained by the flow (cached across bench runs)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def trained_jet_tagger(name: str, n: int, epochs: int, until: str, overwrite: bool = False):
    """``configs/jet_tagger.yaml`` with ``n`` particles, run by the flow up to ``until``."""
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow

    cfg = load_config(
        REPO / "configs" / "jet_tagger.yaml",
        {"name": name, "data.n_particles": n, "train.epochs": epochs, "runs_dir": str(REPO / "runs")},
    )
    return run_flow(cfg, until=until, overwrite=overwrite)
