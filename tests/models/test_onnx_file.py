"""A user's QONNX file (the 4-bit MLP exported by the PyTorch flow, taken as if it came from
elsewhere) through the qonnx_finn flow: its own QONNX outputs are the reference, hls4ml is
bit-exact against them, finn-plus' RTL layers are bit-exact in Verilator."""

import json

import numpy as np
import yaml
from conftest import REPO, mismatch_message

from hwcodesign.config import config_from_dict
from hwcodesign.flows import run_flow


def test_user_qonnx_file_through_finn_and_hls4ml(mlp_run, tmp_path):
    raw = yaml.safe_load((REPO / "configs" / "mlp_digits.yaml").read_text())
    raw.pop("flow")
    raw.pop("quantization")
    raw["name"], raw["runs_dir"] = "user_qonnx", str(tmp_path / "runs")
    raw["model"] = {"kind": "onnx_file", "path": str(mlp_run.root / "qonnx" / "model.onnx")}
    run = run_flow(config_from_dict(raw))
    assert run.config.flow == "qonnx_finn"

    ref = np.load(run.root / "qonnx" / "predictions.npz")["quantized"]
    brevitas = np.load(mlp_run.root / "model" / "predictions.npz")["quantized"]
    assert np.array_equal(ref.argmax(1), brevitas.argmax(1))  # independent: the original Brevitas model
    emu = np.load(run.root / "hls4ml" / "emulation.npz")
    assert np.array_equal(emu["hls"], emu["reference"]), mismatch_message(
        emu["hls"], emu["reference"], "hls4ml vs QONNX"
    )
    report = json.loads((run.root / "report" / "report.json").read_text())
    assert report["bit_exactness"]["hls4ml_vs_source"]["value"] == 1.0
    assert report["bit_exactness"]["finn_rtl_layers_vs_python"]["value"] == 1.0
    assert report["accuracy"]["quantized"]["value"] == float((ref.argmax(1) == emu["labels"]).mean())
