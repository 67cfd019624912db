"""Every model kind users bring, built here by its own framework (QKeras 0.9 and HGQ v1 in the
legacy venv, Keras 3 here), through the import: identical to the source framework's own
predictions where the source is quantized, bit-exact through hls4ml and the RTL, and one clear
line naming the layer where no exact form exists. Also one-output models: a binary classifier
(accuracy at the threshold, AUC) and a regression (residuals, no accuracy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from hwcodesign.config import config_from_dict
from hwcodesign.errors import UnsupportedLayerError
from hwcodesign.flows import run_flow

LEGACY = Path(sys.prefix).parent / ".venv-legacy" / "bin" / "python"
needs_legacy = pytest.mark.skipif(not LEGACY.is_file(), reason="no .venv-legacy (make install makes it)")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The models of tests/models/legacy_models.py, trained on 16 jet features."""
    from hwcodesign.config import JetDataConfig
    from hwcodesign.data.jets import load_jets

    folder = tmp_path_factory.mktemp("kinds")
    ds = load_jets(
        JetDataConfig(
            source="sample", jets_per_class=500, n_particles=4, features=("ptrel", "deta", "dphi", "logpt")
        )
    )
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test]).reshape(-1, 16)
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    np.savez(folder / "jets16.npz", x=x, y=y)
    res = subprocess.run(
        [LEGACY, REPO / "tests" / "models" / "legacy_models.py", folder / "jets16.npz", folder],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return folder


def _run(folder: Path, tmp_path: Path, model: dict, until: str, name: str = "kind"):
    cfg = config_from_dict(
        {
            "name": name,
            "runs_dir": str(tmp_path / "runs"),
            "data": {"dataset": "file", "path": str(folder / "jets16.npz"), "class_names": list("gqWZt")},
            "model": model,
        }
    )
    return run_flow(cfg, until=until)


@needs_legacy
def test_hgq1_proxy_model_is_bit_exact_through_the_rtl(models, tmp_path):
    """HGQ v1 rounds half up / truncates (RND, TRN), as da4ml does: bit-exact end to end."""
    run = _run(models, tmp_path, {"kind": "keras2_file", "path": str(models / "hgq1_proxy.h5")}, "rtl")
    train, rtl = run.record("train").metrics, run.record("rtl").metrics
    assert train["bit_exact_hgq_vs_qkeras"].value == 1.0 and train["bit_exact_hgq_vs_qkeras"].n == 500
    assert "hgq" in run.record("train").tools
    assert run.record("convert").metrics["bit_exact_fraction"].value == 1.0
    assert rtl["bit_exact_vs_hls4ml"].value == 1.0 and rtl["latency_cycles"].value > 0
    out = np.load(run.root / "rtl" / "rtl_outputs.npz")
    theirs = np.load(run.root / "model" / "legacy" / "x_quantized.out.npy")  # HGQ v1's own outputs
    assert np.array_equal(out["rtl"].reshape(len(theirs), -1), theirs)


@needs_legacy
@pytest.mark.slow
def test_hgq1_model_saved_as_such_is_one_line_when_hgq_cannot_proxy_it(models, tmp_path):
    """HGQ v1's own to_proxy_model fails on tf-keras 2.21 for a saved HGQ model: one line saying
    what to give instead (its proxy), not a traceback."""
    from hwcodesign.errors import UserError

    with pytest.raises(
        UserError, match=r"hgq1_model\.h5 holds HGQ v1 layers, and HGQ's to_proxy_model failed"
    ):
        _run(models, tmp_path, {"kind": "keras2_file", "path": str(models / "hgq1_model.h5")}, "train")


@needs_legacy
@pytest.mark.slow
@pytest.mark.parametrize("model", ["qkeras_quantizers.h5", "qkeras_conv.h5"])
def test_qkeras_quantizers_and_conv_are_exact(models, tmp_path, model):
    """po2 / ternary / binary / auto_po2 weights, hard tanh and sigmoid, QConv1D: identical to
    QKeras (half-to-even rounding kept) and to hls4ml's emulation."""
    run = _run(models, tmp_path, {"kind": "keras2_file", "path": str(models / model)}, "convert")
    assert run.record("train").metrics["bit_exact_hgq_vs_qkeras"].value == 1.0
    assert run.record("convert").metrics["bit_exact_fraction"].value == 1.0


@needs_legacy
@pytest.mark.slow
def test_keras2_batchnorm_reaches_rtl_by_ptq(models, tmp_path):
    run = _run(models, tmp_path, {"kind": "keras2_file", "path": str(models / "keras2_bn.h5")}, "rtl")
    assert run.record("train").metrics["ptq_vs_float_argmax"].value > 0.97
    assert run.record("rtl").metrics["bit_exact_vs_hls4ml"].value == 1.0


@needs_legacy
@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("qkeras_binary_act.h5", r"layer 2 'sign' .*binary\(.*binary as an activation is a sign quantizer"),
        ("qkeras_auto_alpha.h5", r"layer 1 'scaled' .*alpha='auto' scales each channel by a float"),
    ],
)
def test_no_exact_form_is_one_line_naming_the_layer(models, tmp_path, model, match):
    with pytest.raises(UnsupportedLayerError, match=match) as e:
        _run(models, tmp_path, {"kind": "keras2_file", "path": str(models / model)}, "train")
    assert "\n" not in str(e.value)


def _keras_single_output(folder: Path, kind: str):
    from hwcodesign.frameworks import import_keras

    keras = import_keras()
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 6)).astype(np.float32)
    if kind == "binary":
        y = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64)
        act, loss = "sigmoid", "binary_crossentropy"
    else:
        y = (np.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2 + 0.1 * rng.normal(size=600)).astype(np.float32)
        act, loss = None, "mse"
    keras.utils.set_random_seed(2)
    inp = keras.Input((6,))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(16, activation="relu")(inp))
    model = keras.Model(inp, keras.layers.Dense(1, activation=act)(h))
    model.compile("adam", loss)
    model.fit(x, y, epochs=30, verbose=0)
    model.save(folder / f"{kind}.keras")
    np.savez(folder / f"{kind}.npz", x=x, y=y)
    return model


def test_binary_classifier_one_output_through_rtl_and_report(tmp_path):
    """A sigmoid output: the design outputs the logit; accuracy at probability 0.5 (logit 0)
    recomputed here, AUC present, RTL bit-exact; the report builds."""
    import hwcodesign as hw

    model = _keras_single_output(tmp_path, "binary")
    run = hw.run(
        tmp_path / "binary.keras",
        data=tmp_path / "binary.npz",
        runs_dir=tmp_path / "runs",
        until="rtl",
        progress=False,
    )
    r = run.run
    ds = np.load(r.root / "rtl" / "rtl_outputs.npz")
    acc = float(((ds["rtl"].reshape(-1) >= 0).astype(int) == ds["labels"]).mean())
    assert r.record("rtl").metrics["accuracy_rtl"].value == acc and acc > 0.85
    assert r.record("rtl").metrics["bit_exact_vs_hls4ml"].value == 1.0
    summary = json.loads((r.root / "model" / "metrics.json").read_text())
    assert summary["quantized"]["task"] == {"kind": "binary", "output": "logits", "threshold": 0.0}
    assert summary["float"]["task"]["output"] == "probabilities" and "1" in summary["quantized"]["auc"]
    x_test = np.load(r.root / "data" / "dataset.npz")["x_test"]
    p_float = model.predict(x_test, verbose=0).reshape(-1)
    assert summary["float"]["accuracy"] == pytest.approx(float(((p_float >= 0.5) == ds["labels"]).mean()))


def test_regression_has_residuals_not_accuracy(tmp_path):
    import hwcodesign as hw
    from hwcodesign.report.build import build_report
    from hwcodesign.report.view import Report

    _keras_single_output(tmp_path, "regression")
    run = hw.run(
        tmp_path / "regression.keras",
        data=tmp_path / "regression.npz",
        runs_dir=tmp_path / "runs",
        until="rtl",
        progress=False,
    )
    r = run.run
    assert (
        "accuracy_rtl" not in r.record("rtl").metrics
        and "accuracy_quantized" not in r.record("train").metrics
    )
    assert r.record("rtl").metrics["bit_exact_vs_hls4ml"].value == 1.0
    rep = Report(build_report(r, ["data", "train", "convert", "rtl"]).model_dump(mode="json"), r.root)
    out = np.load(r.root / "rtl" / "rtl_outputs.npz")
    resid = out["rtl"].reshape(-1) - out["labels"]
    assert rep.regression.loc["rtl", "resolution"] == pytest.approx(resid.std())
    assert rep.regression.loc["rtl", "bias"] == pytest.approx(resid.mean())
    assert len(rep.accuracy) == 0
