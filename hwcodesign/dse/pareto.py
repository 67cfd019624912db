"""Sweep results as a table, the Pareto set, and the extra points one trial can give
(HGQ2's in-training Pareto checkpoints). Pure functions over plain data where possible."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from .spec import SweepSpec

__all__ = ["results_table", "pareto_mask", "checkpoint_points"]


def results_table(study, spec: SweepSpec):
    """One row per trial: state, parameters, objective and key metrics, error, run folder."""
    import pandas as pd

    rows = []
    keys = [o.metric for o in spec.objectives]
    for t in study.get_trials(deepcopy=False):
        m = t.user_attrs.get("metrics", {})
        row = {"trial": t.number, "state": t.state.name, **{f"param:{k}": v for k, v in t.params.items()}}
        for k in dict.fromkeys(
            [*keys, "accuracy_quantized", "latency_ns", "ii_cycles", "lut", "dsp", "ebops"]
        ):
            row[k] = m.get(k)
        constraints = t.user_attrs.get("constraints")
        row["feasible"] = (
            bool(constraints is not None and all(c <= 0 for c in constraints)) if spec.constraints else True
        )
        row["attempts"] = t.user_attrs.get("attempts")
        row["error"] = t.user_attrs.get("error", "")
        row["run"] = t.user_attrs.get("run", "")
        rows.append(row)
    df = pd.DataFrame(rows)
    if len(df):
        df = df.set_index("trial").sort_index()
        df["pareto"] = False
        ok = (df["state"] == "COMPLETE") & df["feasible"]
        if ok.any():
            vals = df.loc[ok, keys].to_numpy(float)
            signs = np.array([1.0 if o.direction == "minimize" else -1.0 for o in spec.objectives])
            df.loc[ok, "pareto"] = pareto_mask(vals * signs)
    return df


def pareto_mask(costs: np.ndarray) -> np.ndarray:
    """Rows not dominated by any other row (all objectives to minimise)."""
    n = len(costs)
    keep = np.ones(n, bool)
    for i in range(n):
        others = np.delete(costs, i, axis=0)
        dominated = np.any(np.all(others <= costs[i], axis=1) & np.any(others < costs[i], axis=1))
        keep[i] = not dominated
    return keep


def checkpoint_points(run) -> list[dict]:
    """HGQ2's non-dominated checkpoints saved during training (model/pareto/*.keras, metrics in
    the file names: see hgq.utils.sugar.ParetoFront), as (val_accuracy, ebops) points."""
    try:
        folder = run.locate("train_summary").parent / "pareto"
    except UserError:  # a run without a model step, or without a plan yet
        return []
    points = []
    for f in sorted(folder.glob("*.keras")) if folder.is_dir() else []:
        fields = dict(part.split("=", 1) for part in f.stem.split("-") if "=" in part)
        try:
            points.append(
                {
                    "val_accuracy": float(fields["val_accuracy"]),
                    "ebops": float(fields["ebops"]),
                    "file": f.name,
                }
            )
        except (KeyError, ValueError):
            continue
    return points


def write_exports(df, folder: Path) -> list[Path]:
    """CSV always; Parquet when pyarrow/fastparquet is installed (its absence is reported)."""
    out = [folder / "trials.csv"]
    df.to_csv(out[0])
    try:
        df.to_parquet(folder / "trials.parquet")
        out.append(folder / "trials.parquet")
        (folder / "trials.parquet.missing").unlink(missing_ok=True)
    except ImportError as e:
        (folder / "trials.parquet.missing").write_text(f"no Parquet engine: {e}\n")
    front = df[df["pareto"]] if "pareto" in df else df.iloc[:0]
    # to_json writes missing values as null (json.dumps would write NaN, which is not JSON)
    records = json.loads(front.reset_index().to_json(orient="records", default_handler=str))
    (folder / "pareto.json").write_text(json.dumps(records, indent=1, allow_nan=False))
    return out
