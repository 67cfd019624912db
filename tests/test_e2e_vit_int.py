"""The integer-only ViT (I-ViT kernels, every layer RTL) through the whole PyTorch flow, for real:
Brevitas QAT -> QONNX -> finn-plus with our RTL layers -> the graph stitched as one design and
simulated in Verilator on the whole test set -> package for a PYNQ-Z2 -> its driver on the virtual
board. Numbers are recomputed from the raw outputs the steps stored."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def int_vit(tmp_path_factory):
    from hwcodesign.config import config_from_dict
    from hwcodesign.flows import run_flow

    raw = yaml.safe_load((REPO / "configs" / "vit_digits_int_tiny.yaml").read_text())
    raw["runs_dir"] = str(tmp_path_factory.mktemp("int_vit") / "runs")
    raw["train"].update(epochs=8, patience=8)
    raw["target"].update(board="pynq-z2", part="xc7z020clg400-1", clock_ns=10.0)
    raw["target"]["deploy"] = {"samples": 120, "batch_sizes": [1, 64]}
    return run_flow(config_from_dict(raw))


def _metrics(run, step):
    record = json.loads((run.root / "steps" / f"{step}.json").read_text())
    return {k: m["value"] for k, m in record["metrics"].items()}


def test_every_layer_is_rtl_and_the_graph_equals_brevitas(int_vit):
    finn = _metrics(int_vit, "finn")
    assert finn["layers_without_rtl"] == 0 and finn["layers_rtl"] > 30
    assert finn["argmax_agreement_convert_to_hw"] == 1.0 and finn["max_abs_diff_convert_to_hw"] == 0.0


def test_the_stitched_design_equals_the_trained_model_on_the_whole_test_set(int_vit):
    from hwcodesign.artifacts import load_dataset, load_predictions

    stitch = _metrics(int_vit, "stitch")
    assert stitch["whole_design_vs_model"] == 1.0 and stitch["whole_design_vs_finn_python"] == 1.0
    raw = np.load(int_vit.root / "stitch" / "outputs.npz")["raw"]
    y = load_dataset(int_vit).y_test
    assert len(raw) == len(y) == 360
    # independent of the step's own comparison: the design's argmax gives the model's accuracy
    model = load_predictions(int_vit).reference.reshape(len(y), -1)
    assert np.array_equal(raw.argmax(1), model.argmax(1))
    acc = _metrics(int_vit, "train_torch")["accuracy_quantized"]
    assert (raw.argmax(1) == y).mean() == pytest.approx(acc, abs=1e-9)


def test_measured_interval_is_the_slowest_layer_and_throughput_follows(int_vit):
    stitch = json.loads((int_vit.root / "stitch" / "stitch.json").read_text())
    t, est = stitch["timing"], stitch["estimate"]
    # a frame cannot leave faster than the slowest layer takes; FIFOs sized right keep it there
    assert est["max_cycles"] <= t["interval_cycles"] <= 1.2 * est["max_cycles"]
    assert t["frames_per_s"] == pytest.approx(1e9 / (t["interval_cycles"] * 10.0), rel=1e-6)
    assert stitch["checks"]["stalls_vs_back_to_back"]["fraction"] == 1.0


def test_the_package_driver_on_the_virtual_board_gives_the_expected_outputs(int_vit):
    vb = _metrics(int_vit, "virtual_board")
    assert vb["predict_bit_exact_vs_emulation"] == 1.0 and vb["stall_test_bit_exact"] == 1.0
    deploy = int_vit.root / "deploy"
    expected = np.load(deploy / "test_outputs.npy")
    raw = np.load(int_vit.root / "stitch" / "outputs.npz")["raw"]
    scale = json.loads((int_vit.root / "stitch" / "stitch.json").read_text())["output_scale"]
    # what the driver must return: the trained model's outputs, i.e. the stitched design's x its scale
    assert np.array_equal(expected.reshape(len(expected), -1), raw[: len(expected)] * scale)
