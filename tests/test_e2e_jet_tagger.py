"""The suite's end-to-end run: the notebook runs the tiny jet tagger through every step.
The checks recompute the report's numbers from the raw outputs (independent reference)."""

import json

import numpy as np
import pytest
from conftest import mismatch_message


def test_notebook_ran_every_cell(tiny_notebook):
    nb, _ = tiny_notebook
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "100.00% of 500 test jets give identical outputs" in text


def test_emulation_is_bit_exact_on_the_whole_test_set(tiny_run):
    emu = np.load(tiny_run.root / "hls" / "emulation.npz")
    assert len(emu["labels"]) == 500
    assert np.array_equal(emu["hls"], emu["reference"]), mismatch_message(
        emu["hls"], emu["reference"], "hls4ml vs Keras"
    )
    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    m = report["bit_exactness"]["hls4ml_vs_keras"]
    assert m["value"] == 1.0 and m["n"] == 500 and "hls4ml" in m["source"]


def test_report_accuracies_match_the_stored_predictions(tiny_run):
    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    pred = np.load(tiny_run.root / "model" / "predictions.npz")
    emu = np.load(tiny_run.root / "hls" / "emulation.npz")
    y = pred["labels"]
    acc = report["accuracy"]
    assert acc["float"]["value"] == float((pred["float"].argmax(1) == y).mean())
    assert acc["quantized"]["value"] == float((pred["quantized"].argmax(1) == y).mean())
    assert acc["emulated"]["value"] == float((emu["hls"].argmax(1) == y).mean())
    assert all(acc[k]["n"] == 500 for k in ("float", "quantized", "emulated"))
    assert acc["quantized"]["value"] > 0.3, "the tiny model should beat chance (20%) clearly"
    assert report["model"]["ebops"]["source"] == "HGQ2 trace_minmax"
    assert set(report["auc"]["quantized"]) == {"g", "q", "W", "Z", "t"}


def test_report_quotes_efficiency_at_fixed_mistag_from_the_predictions(tiny_run):
    from sklearn.metrics import roc_curve

    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    rows = next(v for k, v in report["layers"].items() if k.startswith("Signal efficiency at fixed mistag"))
    pred = np.load(tiny_run.root / "model" / "predictions.npz")
    logits, y = pred["quantized"].astype(np.float64), pred["labels"]
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    classes = ["g", "q", "W", "Z", "t"]
    assert [r["class"] for r in rows] == classes
    for i, row in enumerate(rows):
        fpr, tpr, _ = roc_curve(y == i, probs[:, i])
        assert row["quantized eff @ mistag 10%"] == round(float(tpr[fpr <= 0.1].max()), 4)
        assert row["quantized eff @ mistag 1%"] <= row["quantized eff @ mistag 10%"]


def test_report_records_steps_tools_and_sources(tiny_run):
    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    assert [s["step"] for s in report["steps"]] == [
        "data",
        "train",
        "convert",
        "rtl",
        "emulate",
        "synth",
        "package",
        "virtual_board",
    ]
    assert report["tools"]["hls4ml"] == "1.3.0" and report["tools"]["hgq2"] == "0.2.0"
    for step, metrics in report["metrics"].items():
        for name, m in metrics.items():
            assert m["source"], f"{step}.{name} has no source"
    html = (tiny_run.root / "report" / "index.html").read_text()
    assert html.count("data:image/png;base64,") >= 4  # ROC, confusion, accuracy, history, timing
    assert "hls4ml_vs_keras" in html


def test_hls_project_is_written_for_vitis(tiny_run):
    prj = tiny_run.root / "hls" / "project"
    assert (prj / "firmware" / "myproject.cpp").is_file()
    tcl = (prj / "build_prj.tcl").read_text()
    assert "xcvu13p-flga2577-2-e" in (prj / "project.tcl").read_text() or "xcvu13p" in tcl


def test_rtl_is_bit_exact_and_latency_matches_the_pipeline(tiny_run):
    out = np.load(tiny_run.root / "rtl" / "rtl_outputs.npz")
    assert len(out["rtl"]) == 500
    assert np.array_equal(out["rtl"], out["hls"]), mismatch_message(out["rtl"], out["hls"], "RTL vs hls4ml")
    assert np.array_equal(out["rtl"], out["reference"])
    meta = json.loads((tiny_run.root / "rtl" / "da4ml" / "metadata.json").read_text())
    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    lat = report["latency"]
    # measured from the simulated data; da4ml's metadata is an independent count of stages
    assert lat["latency_cycles"]["value"] == meta["latency"]
    assert lat["latency_ns"]["value"] == meta["latency"] * 5.0
    assert lat["ii_cycles"]["value"] == 1 and "verilator" in lat["latency_cycles"]["source"].lower()
    assert report["bit_exactness"]["rtl_vs_hls4ml"]["value"] == 1.0
    assert report["accuracy"]["rtl"]["value"] == report["accuracy"]["emulated"]["value"]


def test_resources_from_da4ml_and_yosys(tiny_run):
    from hwcodesign.backends.da4ml.synth import register_bits

    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    res = report["resources"]
    meta = json.loads((tiny_run.root / "rtl" / "da4ml" / "metadata.json").read_text())
    assert res["da4ml"]["counts"]["LUT"] == meta["cost"] and res["da4ml"]["kind"] == "estimate"
    (ysrc,) = [k for k in res if k.startswith("yosys")]
    assert "INCOMPLETE" not in res[ysrc]["note"], res[ysrc]["note"]
    top = (tiny_run.root / "rtl" / "da4ml" / "src" / "model.v").read_text()
    assert res[ysrc]["counts"]["FF"] == register_bits(top) == meta["reg_bits"]
    assert res[ysrc]["counts"]["LUT"] > 0
    assert res[ysrc]["percent"]["LUT"] == pytest.approx(
        100 * res[ysrc]["counts"]["LUT"] / 1_728_000, rel=1e-3
    )
    assert any("not post-route" in n for n in report["notes"])
    stages = report["layers"]["Pipeline stages (da4ml estimate, Yosys per stage)"]
    assert len(stages) == meta["latency"]  # one row per pipeline stage


def test_distributed_arithmetic_strategy_is_bit_exact(tiny_run, tmp_path):
    """The same trained model converted with hls4ml's distributed_arithmetic strategy: only
    the convert step re-runs, and its emulation is still bit-exact against Keras."""
    import shutil

    from hwcodesign.config import config_from_dict
    from hwcodesign.flows import run_flow

    shutil.copytree(tiny_run.root, tmp_path / tiny_run.config.name)
    d = tiny_run.config.model_dump(mode="json")
    d["runs_dir"], d["target"]["strategy"] = str(tmp_path), "distributed_arithmetic"
    cfg = config_from_dict(d)
    events = []
    run = run_flow(cfg, until="convert", overwrite=True, on_event=lambda e: events.append((e.step, e.state)))
    assert events == [("data", "cached"), ("train", "cached"), ("convert", "start"), ("convert", "done")]
    params = (run.root / "hls" / "project" / "firmware" / "parameters.h").read_text()
    assert "nnet::distributed_arithmetic" in params and "_da_kernel" in params
    emu = np.load(run.root / "hls" / "emulation.npz")
    assert len(emu["labels"]) == 500
    assert np.array_equal(emu["hls"], emu["reference"]), mismatch_message(
        emu["hls"], emu["reference"], "hls4ml (distributed_arithmetic) vs Keras"
    )
