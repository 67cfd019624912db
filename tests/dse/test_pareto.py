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
