"""End-to-end runs of the PyTorch flow with every tool for real: the tiny ViT through the
notebook, and the 4-bit MLP through the Python API. Numbers are recomputed from the raw
outputs each step stored."""

import json

import numpy as np
from conftest import mismatch_message


def _report(root):
    return json.loads((root / "report" / "report.json").read_text())


def test_vit_notebook_ran_every_cell(vit_notebook):
    nb, root = vit_notebook
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors
    assert (root / "report" / "index.html").is_file()


def test_vit_qonnx_agrees_with_brevitas_on_every_test_image(vit_notebook):
    _, root = vit_notebook
    out = np.load(root / "qonnx" / "qonnx_outputs.npz")
    assert len(out["labels"]) == 360
    assert np.array_equal(out["qonnx"].argmax(1), out["brevitas"].argmax(1))
    assert np.abs(out["qonnx"] - out["brevitas"]).max() < 1e-5
    rep = _report(root)
    assert rep["bit_exactness"]["qonnx_vs_brevitas_argmax"]["value"] == 1.0
    assert rep["accuracy"]["quantized"]["value"] > 0.8


def test_vit_maps_attention_and_layernorm_to_finn_plus(vit_notebook):
    _, root = vit_notebook
    layers = json.loads((root / "finn" / "layers.json").read_text())
    ops = {row["op"] for row in layers}
    assert {"ScaledDotProductAttention_hls", "LayerNorm_hls", "MVAU_rtl", "Thresholding_rtl"} <= ops
    unmapped = [row["op"] for row in layers if row["implementation"].startswith("unmapped")]
    assert unmapped == ["Transpose", "Mul"], unmapped  # input layout change, output scale
    rep = _report(root)
    m = rep["bit_exactness"]["finn_python_vs_source_argmax"]
    assert m["value"] == 1.0 and m["n"] == 60
    assert rep["metrics"]["finn"]["max_abs_diff_convert_to_hw"]["value"] < 1e-5
    for f in (
        "estimate_layer_cycles.json",
        "estimate_layer_resources.json",
        "estimate_network_performance.json",
    ):
        assert (root / "finn" / "report" / f).is_file()
    assert rep["latency"]["estimate_fps"]["kind"] == "estimate"


def test_vit_rtl_layers_are_bit_exact_in_verilator(vit_notebook):
    _, root = vit_notebook
    rows = _report(root)["layers"]["finn-plus RTL layers simulated in Verilator"]
    sim = [r for r in rows if r.get("simulated")]
    assert len(sim) >= 5
    assert all(r["status"] == "bit-exact" and r["frames_exact"] == 3 for r in sim), sim
    for r in sim:
        if r["op"] in ("MVAU_rtl", "Thresholding_rtl"):
            assert r["cycles_per_frame"] == r["finn_estimate_cycles"], r


def test_vit_package_names_the_hls_layers_it_cannot_package(vit_notebook):
    """Without Vitis HLS the ViT's attention/LayerNorm layers have no RTL: the run goes on,
    and the report says which layers stop the package (no half-made deploy/ folder)."""
    _, root = vit_notebook
    layers = json.loads((root / "finn" / "layers.json").read_text())
    hls = [row["layer"] for row in layers if row["op"].endswith("_hls")]
    notes = _report(root)["notes"]
    note = next(n for n in notes if n.startswith("no package:"))
    assert "HLS layers need Vitis HLS" in note
    assert all(name in note for name in hls), (hls, note)
    assert any(n.startswith("virtual board not run: there is no deployment package") for n in notes)
    assert not (root / "deploy" / "accelerator.json").exists()


def test_mlp_hls4ml_qonnx_is_bit_exact(mlp_run):
    emu = np.load(mlp_run.root / "hls4ml" / "emulation.npz")
    assert len(emu["labels"]) == 360
    assert np.array_equal(emu["hls"], emu["reference"]), mismatch_message(
        emu["hls"], emu["reference"], "hls4ml vs Brevitas"
    )
    assert _report(mlp_run.root)["bit_exactness"]["hls4ml_vs_source"]["value"] == 1.0


def test_mlp_finn_rtl_layers_bit_exact_with_estimated_cycles(mlp_run):
    rows = _report(mlp_run.root)["layers"]["finn-plus RTL layers simulated in Verilator"]
    sim = {r["layer"]: r for r in rows if r.get("simulated")}
    assert sum(1 for k in sim if k.startswith("MVAU_rtl")) == 4
    assert sum(1 for k in sim if k.startswith("Thresholding_rtl")) == 5
    for r in sim.values():
        assert r["status"] == "bit-exact" and r["frames_exact"] == 8, r
        assert r["cycles_per_frame"] == r["finn_estimate_cycles"], r


def test_mlp_finn_python_agreement_is_measured_and_explained(mlp_run):
    rep = _report(mlp_run.root)
    m = rep["bit_exactness"]["finn_python_vs_source_argmax"]
    assert m["n"] == 360 and m["value"] >= 0.98
    if m["value"] < 1.0:  # power-of-two scales: ties round differently (see the note)
        assert any("half-to-even" in n for n in rep["notes"])
