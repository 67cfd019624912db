"""Full-size runs (`make test-slow`, ~25 min on 2 cores): the claims the README makes about
the default jet tagger and the Fashion-MNIST ViT, checked on fresh runs."""

import json

import numpy as np
import pytest
import yaml
from conftest import REPO

from hwcodesign.config import config_from_dict
from hwcodesign.flows import run_flow

pytestmark = pytest.mark.slow


def _run(config: str, tmp_path_factory):
    raw = yaml.safe_load((REPO / "configs" / config).read_text())
    raw["runs_dir"] = str(tmp_path_factory.mktemp("full") / "runs")
    run = run_flow(config_from_dict(raw))
    return run, json.loads((run.root / "report" / "report.json").read_text())


def test_default_jet_tagger(tmp_path_factory):
    run, rep = _run("jet_tagger.yaml", tmp_path_factory)
    acc = rep["accuracy"]
    assert acc["float"]["value"] - acc["quantized"]["value"] <= 0.02
    out = np.load(run.root / "rtl" / "rtl_outputs.npz")
    assert len(out["rtl"]) >= 2000
    assert np.array_equal(out["rtl"], out["hls"]) and np.array_equal(out["hls"], out["reference"])
    assert rep["latency"]["ii_cycles"]["value"] == 1
    assert rep["latency"]["latency_ns"]["value"] <= 100


def test_vit_fashion_mnist_w4a4(tmp_path_factory):
    run, rep = _run("vit_fashion_mnist.yaml", tmp_path_factory)
    assert rep["accuracy"]["quantized"]["value"] >= 0.85 and rep["accuracy"]["quantized"]["n"] == 10000
    assert rep["bit_exactness"]["qonnx_vs_brevitas_argmax"]["value"] == 1.0
    assert rep["bit_exactness"]["finn_rtl_layers_vs_python"]["value"] == 1.0
    layers = json.loads((run.root / "finn" / "layers.json").read_text())
    assert any(r["op"] == "ScaledDotProductAttention_hls" for r in layers)
