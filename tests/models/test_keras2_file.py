"""Keras 2 / QKeras models (built here, in the legacy venv) through the keras2_file frontend:
the rebuilt HGQ2 model is bit-exact against QKeras' own predictions, hls4ml's emulation is
bit-exact against it, float Keras 2 models reach RTL, and what cannot be done is one line."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from hwcodesign.config import config_from_dict
from hwcodesign.errors import ConfigError, UnsupportedLayerError
from hwcodesign.flows import run_flow

LEGACY = Path(sys.prefix).parent / ".venv-legacy" / "bin" / "python"
pytestmark = pytest.mark.skipif(
    not LEGACY.is_file(), reason="no .venv-legacy (make legacy-venv; make test makes it)"
)


@pytest.fixture(scope="session")
def legacy_models(tmp_path_factory):
    """16 jet features (the committed sample) and the models of tests/models/legacy_models.py."""
    from hwcodesign.config import JetDataConfig
    from hwcodesign.data.jets import load_jets

    folder = tmp_path_factory.mktemp("legacy")
    ds = load_jets(
        JetDataConfig(
            source="sample", jets_per_class=500, n_particles=4, features=("ptrel", "deta", "dphi", "logpt")
        )
    )
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test]).reshape(-1, 16)
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    np.savez(folder / "jets16.npz", x=x, y=y)
    subprocess.run(
        [LEGACY, REPO / "tests" / "models" / "legacy_models.py", folder / "jets16.npz", folder],
        check=True,
        capture_output=True,
    )
    return folder


def _run(folder: Path, tmp_path: Path, model: dict, until: str, name: str = "k2"):
    cfg = config_from_dict(
        {
            "name": name,
            "runs_dir": str(tmp_path / "runs"),
            "data": {
                "dataset": "file",
                "path": str(folder / "jets16.npz"),
                "class_names": ["g", "q", "W", "Z", "t"],
            },
            "model": model,
        }
    )
    return run_flow(cfg, until=until)


def test_qkeras_mlp_is_bit_exact_against_qkeras_and_in_hls4ml(legacy_models, tmp_path):
    run = _run(
        legacy_models,
        tmp_path,
        {"kind": "keras2_file", "path": str(legacy_models / "qkeras_mlp.h5")},
        "convert",
    )
    train, convert = run.record("train"), run.record("convert")
    m = train.metrics["bit_exact_hgq_vs_qkeras"]
    assert m.value == 1.0 and m.n == 500 and "before the float softmax" in m.source
    # independent check on the stored arrays: QKeras' logits (run in the legacy venv) vs ours
    qk = np.load(run.root / "model" / "legacy" / "x_quantized.layer.npy")
    emu = np.load(run.root / "hls" / "emulation.npz")
    assert np.array_equal(emu["hls"], emu["reference"]) and convert.metrics["bit_exact_fraction"].value == 1.0
    assert qk.shape == (500, 5)
    assert abs(train.metrics["accuracy_quantized"].value - train.metrics["accuracy_float"].value) < 0.02


def test_qkeras_variants_quantized_relu_bits_and_input_quantizer(legacy_models, tmp_path):
    run = _run(
        legacy_models,
        tmp_path,
        {"kind": "keras2_file", "path": str(legacy_models / "qkeras_variants.h5")},
        "convert",
    )
    assert run.record("train").metrics["bit_exact_hgq_vs_qkeras"].value == 1.0
    assert run.record("convert").metrics["bit_exact_fraction"].value == 1.0


def test_keras2_json_finds_its_weights_and_reaches_rtl(legacy_models, tmp_path):
    run = _run(
        legacy_models,
        tmp_path,
        {"kind": "keras2_file", "path": str(legacy_models / "keras2_mlp.json")},
        "rtl",
    )
    rtl = run.record("rtl").metrics
    assert rtl["bit_exact_vs_hls4ml"].value == 1.0 and rtl["latency_cycles"].value > 0
    agree = run.record("train").metrics["ptq_vs_float_argmax"].value
    assert agree > 0.97, f"PTQ of the float Keras 2 model agrees on {agree:.2%}"


def test_rounding_choice_for_the_rtl_path(legacy_models, tmp_path):
    model = {"kind": "keras2_file", "path": str(legacy_models / "qkeras_mlp.h5")}
    with pytest.raises(ConfigError, match="da4ml implements round-half-up.*model.rounding: rnd"):
        _run(legacy_models, tmp_path, model, "rtl", "exact")
    run = _run(legacy_models, tmp_path, {**model, "rounding": "rnd"}, "rtl", "rnd")
    assert run.record("rtl").metrics["bit_exact_vs_hls4ml"].value == 1.0
    vs_qkeras = run.record("train").metrics["bit_exact_hgq_vs_qkeras"].value
    assert 0.5 < vs_qkeras < 1.0, (
        "half-up rounding differs from QKeras on ties, and the report says how often"
    )


def test_unsupported_quantizer_is_named(legacy_models, tmp_path):
    model = {"kind": "keras2_file", "path": str(legacy_models / "qkeras_auto_alpha.h5")}
    with pytest.raises(
        UnsupportedLayerError,
        match=r"layer 1 'scaled' \(.*QDense kernel_quantizer=quantized_bits\(.*alpha=auto,.*"
        r"use alpha='auto_po2' or 1",
    ):
        _run(legacy_models, tmp_path, model, "train")
    with pytest.raises(
        Exception, match=r"holds only the architecture; its weights .*missing_weights\.h5 were not found"
    ):
        _run(
            legacy_models,
            tmp_path,
            {
                "kind": "keras2_file",
                "path": str(legacy_models / "keras2_mlp.json"),
                "weights": str(legacy_models / "missing_weights.h5"),
            },
            "train",
            "noweights",
        )
