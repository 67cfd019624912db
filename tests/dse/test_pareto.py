"""The sweep table's Pareto set against Optuna's own (``study.best_trials``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwcodesign.dse.pareto import pareto_mask, results_table
from hwcodesign.dse.spec import SweepSpec


def test_pareto_mask_on_a_known_front():
    costs = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2], [6, 6]], float)
    assert pareto_mask(costs).tolist() == [True, True, True, False, True, False]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_results_table_pareto_set_equals_optunas_best_trials(seed):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = SweepSpec(
        name="p",
        base=Path("x.yaml"),
        axes={"a": {"values": [1]}},
        objectives=[
            {"metric": "accuracy_quantized", "direction": "maximize"},
            {"metric": "latency_ns", "direction": "minimize"},
            {"metric": "lut", "direction": "minimize"},
        ],
    )
    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])
    rng = np.random.default_rng(seed)
    for _ in range(60):
        t = study.ask()
        m = {
            "accuracy_quantized": float(rng.integers(50, 80)) / 100,  # ties on purpose
            "latency_ns": float(rng.integers(1, 20) * 5),
            "lut": float(rng.integers(1, 50) * 1000),
        }
        t.set_user_attr("metrics", m)
        study.tell(t, [m["accuracy_quantized"], m["latency_ns"], m["lut"]])
    df = results_table(study, spec)
    assert set(df.index[df["pareto"]]) == {t.number for t in study.best_trials}


def test_exports_are_strict_json_csv_and_parquet(tmp_path):
    """Missing values (a trial from before attempts were logged) are null in pareto.json,
    which browsers and jq must parse; CSV and Parquet read back the same table."""
    import json

    import pandas as pd

    from hwcodesign.dse.pareto import write_exports

    df = pd.DataFrame(
        {"lut": [1.0, 2.0], "attempts": [float("nan"), 2.0], "pareto": [True, True]},
        index=pd.Index([0, 1], name="trial"),
    )
    written = write_exports(df, tmp_path)
    front = json.loads((tmp_path / "pareto.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert [r["attempts"] for r in front] == [None, 2.0]
    assert pd.read_csv(tmp_path / "trials.csv", index_col="trial")["lut"].tolist() == [1.0, 2.0]
    if tmp_path / "trials.parquet" in written:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "trials.parquet"), df)
