"""notebooks/04_sweep.ipynb, executed for real: a 4-trial sweep through RTL simulation. Its
table is checked against the trials' own run folders and Optuna's own Pareto set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import execute_notebook


@pytest.mark.slow
def test_sweep_notebook(tmp_path):
    from hwcodesign.dse import load_sweep
    from hwcodesign.dse.pareto import results_table
    from hwcodesign.dse.sweep import open_study

    nb = execute_notebook("04_sweep.ipynb", tmp_path / "runs")
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors, errors
    spec = load_sweep(tmp_path / "runs" / "jet_mini_sweep")
    study = open_study(spec, create=False)
    df = results_table(study, spec)
    assert len(df) == 4 and (df["state"] == "COMPLETE").all(), df[["state", "error"]]
    for _, row in df.iterrows():  # the stored numbers are the runs' own
        rtl = json.loads((Path(row["run"]) / "steps" / "rtl.json").read_text())["metrics"]
        assert row["latency_ns"] == rtl["latency_ns"]["value"]
        assert row["ii_cycles"] == rtl["ii_cycles"]["value"]
    assert set(df.index[df["pareto"]]) == {t.number for t in study.best_trials}  # feasible ones only
    assert (spec.folder / "report" / "index.html").is_file()
    assert any(
        p.name.startswith("accuracy_quantized_vs_latency_ns") for p in (spec.folder / "report").glob("*.png")
    )
