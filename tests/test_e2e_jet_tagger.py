"""The suite's end-to-end run: the notebook runs the tiny jet tagger through every step.
The checks recompute the report's numbers from the raw outputs (independent reference)."""

import json

import numpy as np
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
    assert np.array_equal(emu["hls"], emu["keras"]), mismatch_message(
        emu["hls"], emu["keras"], "hls4ml vs Keras"
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


def test_report_records_steps_tools_and_sources(tiny_run):
    report = json.loads((tiny_run.root / "report" / "report.json").read_text())
    assert [s["step"] for s in report["steps"]] == ["data", "train", "convert"]
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
