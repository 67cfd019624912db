"""notebooks/03_your_model.ipynb: a user's float Keras model and numpy arrays to RTL through
the Python API, executed for real; its printed numbers are recomputed from the raw outputs."""

import json

import numpy as np
from conftest import execute_notebook


def test_your_model_notebook(tmp_path):
    nb = execute_notebook("03_your_model.ipynb", tmp_path / "runs")
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors, errors
    root = tmp_path / "runs" / "your_mlp"
    out = np.load(root / "rtl" / "rtl_outputs.npz")
    assert np.array_equal(out["rtl"], out["hls"]) and np.array_equal(out["hls"], out["reference"])
    report = json.loads((root / "report" / "report.json").read_text())
    pred = np.load(root / "model" / "predictions.npz")
    agree = float(np.mean(pred["quantized"].argmax(1) == pred["float"].argmax(1)))
    assert report["bit_exactness"]["ptq_vs_float_argmax"]["value"] == agree
    assert agree >= report["bit_exactness"]["hls4ml_direct_vs_float_argmax"]["value"]
    html = [o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert any("bit_exactness" in o["data"]["text/html"] for o in html), "the report is shown inline"
