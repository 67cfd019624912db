"""The JEDI-linear-style tagger (two exchanges, max pooling) through the real flow (tiny data):
bit-exact from Keras to hls4ml to Verilator, 0 DSP because it has no signal x signal product,
the 32-bit emulator, and the float reference and literature anchors in the report."""

import json

import numpy as np
import pytest
import yaml
from conftest import REPO, mismatch_message


@pytest.fixture(scope="module")
def linear_run(tmp_path_factory):
    from hwcodesign.config import config_from_dict
    from hwcodesign.flows import run_flow

    raw = yaml.safe_load((REPO / "configs" / "jet_tagger_tiny.yaml").read_text())
    raw.update(name="linear_tiny", runs_dir=str(tmp_path_factory.mktemp("linear") / "runs"))
    # two exchanges (mean) and max pooling: both pooling layers go through hls4ml and da4ml
    raw["model"] = {
        "kind": "jet_linear",
        "hidden_dim": 8,
        "head_dim": 8,
        "num_exchanges": 2,
        "pooling": "max",
    }
    raw["train"].update(epochs=15, float_reference=True)
    raw["target"]["synth"]["products"] = "both"
    return run_flow(config_from_dict(raw))  # package: an IP core for xcvu13p; no board to run


def test_bit_exact_from_keras_to_hls4ml_to_verilator(linear_run):
    emu = np.load(linear_run.root / "hls" / "emulation.npz")
    assert np.array_equal(emu["hls"], emu["reference"]), mismatch_message(
        emu["hls"], emu["reference"], "hls4ml"
    )
    out = np.load(linear_run.root / "rtl" / "rtl_outputs.npz")
    assert len(out["rtl"]) == 500
    assert np.array_equal(out["rtl"], out["hls"]), mismatch_message(out["rtl"], out["hls"], "RTL vs hls4ml")


def test_no_products_so_no_dsp_in_either_mapping(linear_run):
    from hwcodesign.artifacts import load_rtl_project
    from hwcodesign.backends.da4ml.synth import count_products

    assert count_products(load_rtl_project(linear_run)) == 0
    res = json.loads((linear_run.root / "synth" / "resources.json").read_text())
    ysrc = next(k for k in res if k.startswith("yosys"))
    assert res[ysrc]["complete"] and res[ysrc]["counts"]["DSP"] == 0 and res[ysrc]["counts"]["LUT"] > 0
    report = json.loads((linear_run.root / "report" / "report.json").read_text())
    assert any("with and without -nodsp gives the same netlist" in n for n in report["notes"])


def test_emulator_uses_32_bit_lanes_and_matches_verilator(linear_run):
    from hwcodesign.artifacts import load_dataset, load_emulator
    from hwcodesign.backends.da4ml.emulator import lane_bits

    emu = load_emulator(linear_run)
    assert lane_bits(emu.comb) == 32
    x = load_dataset(linear_run).x_test
    rtl = np.load(linear_run.root / "rtl" / "rtl_outputs.npz")["rtl"].reshape(len(x), -1)
    assert np.array_equal(emu.predict(x), rtl)
    # the flow's emulate step stored the same outputs and says so in the report
    assert np.array_equal(np.load(linear_run.root / "emulate" / "emulator_outputs.npz")["emulator"], rtl)
    report = json.loads((linear_run.root / "report" / "report.json").read_text())
    m = report["bit_exactness"]["emulator_vs_rtl"]
    assert m["value"] == 1.0 and m["n"] == 500 and "32-bit lanes" in m["source"]
    assert report["metrics"]["emulate"]["emulator_samples_per_s"]["value"] > 0


def test_report_has_the_float_reference_and_the_literature_with_its_caveat(linear_run):
    report = json.loads((linear_run.root / "report" / "report.json").read_text())
    summary = json.loads((linear_run.root / "model" / "metrics.json").read_text())
    acc = report["accuracy"]
    assert acc["float_reference"]["value"] == summary["float_reference"]["accuracy"] > 0.3
    assert summary["float_reference"]["params"] > 10 * summary["quantized"]["params"]
    lit = acc["literature: JEDI-linear N=16"]
    assert lit["kind"] == "literature" and lit["value"] == 0.776 and "another data set" in lit["source"]
    assert set(report["auc"]) == {"float_reference", "float", "quantized"}
    html = (linear_run.root / "report" / "index.html").read_text()
    assert "dotted: float reference" in html and "literature: JEDI-linear N=16" in html
