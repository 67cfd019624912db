"""QKeras for Keras 3 (``qkeras-v3``) ``.keras`` files, built and saved here by qkeras-v3 itself
(``tests/models/qkeras3_models.py`` in .venv-legacy): picked by their suffix and content
(keras2_file, not keras_file), read by qkeras-v3, rebuilt as HGQ2, identical to qkeras-v3's
own predictions with QKeras' half-to-even rounding (``rounding: qkeras``), and bit-exact
through hls4ml and the RTL with da4ml's half-up rounding (``rounding: rnd``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, mismatch_message

LEGACY = Path(sys.prefix).parent / ".venv-legacy" / "bin" / "python"
QKERAS3 = LEGACY.parents[1] / "isolated" / "qkeras-v3"
pytestmark = pytest.mark.skipif(
    not (LEGACY.is_file() and QKERAS3.is_dir()), reason="no .venv-legacy with qkeras-v3 (make install)"
)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """qkeras3_mlp.keras and qkeras3_bn.keras (QDenseBatchnorm), trained on 8 features, with
    qkeras-v3's predictions on every sample (``<name>.qkeras.npy``)."""
    folder = tmp_path_factory.mktemp("qkeras3")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 0.5)
    np.savez(folder / "data.npz", x=x, y=y)
    res = subprocess.run(
        [LEGACY, "-I", REPO / "tests" / "models" / "qkeras3_models.py", folder / "data.npz", folder],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return folder


def _run(models: Path, tmp_path: Path, name: str, until: str, **overrides):
    import hwcodesign as hw

    return hw.run(
        models / f"{name}.keras",
        data=models / "data.npz",
        runs_dir=tmp_path / "runs",
        name=f"{name}_{overrides.get('model__rounding', 'qkeras')}",
        until=until,
        progress=False,
        **overrides,
    ).run


def _qkeras_on_test_set(run, models: Path, name: str) -> np.ndarray:
    """qkeras-v3's own predictions (made before saving) on the run's test samples."""
    x = np.load(models / "data.npz")["x"]
    row = {r.tobytes(): i for i, r in enumerate(x)}
    x_test = np.load(run.root / "data" / "dataset.npz")["x_test"].astype(np.float32)
    return np.load(models / f"{name}.qkeras.npy")[[row[r.tobytes()] for r in x_test]]


def test_qdensebatchnorm_identical_to_qkeras3_and_bit_exact_through_the_rtl(models, tmp_path):
    from hwcodesign.families import family_of_file

    assert family_of_file(models / "qkeras3_bn.keras").kind == "keras2_file"
    exact = _run(models, tmp_path, "qkeras3_bn", "convert")
    assert exact.config.model.kind == "keras2_file" and exact.config.model.rounding == "qkeras"
    train = exact.record("train")
    assert train.metrics["bit_exact_hgq_vs_qkeras"].value == 1.0 and "qkeras-v3" in train.tools
    ours = np.load(exact.root / "model" / "predictions.npz")["quantized"]
    theirs = _qkeras_on_test_set(exact, models, "qkeras3_bn")  # the model in memory, before saving
    assert np.array_equal(ours, theirs), mismatch_message(ours, theirs, "HGQ2 vs qkeras-v3")
    assert exact.record("convert").metrics["bit_exact_fraction"].value == 1.0

    rtl_run = _run(models, tmp_path, "qkeras3_bn", "rtl", model__rounding="rnd")
    rtl = rtl_run.record("rtl").metrics
    assert rtl["bit_exact_vs_hls4ml"].value == 1.0 and rtl["bit_exact_vs_keras"].value == 1.0
    assert rtl["latency_cycles"].value > 0
    same = rtl_run.record("train").metrics["bit_exact_hgq_vs_qkeras"].value  # ties round half up here
    out = np.load(rtl_run.root / "rtl" / "rtl_outputs.npz")["rtl"].reshape(len(theirs), -1)
    assert same == float(np.mean(np.all(out == theirs, axis=1))), same


@pytest.mark.slow
def test_qkeras3_mlp_with_softmax_is_identical_and_converts(models, tmp_path):
    run = _run(models, tmp_path, "qkeras3_mlp", "convert")
    assert run.record("train").metrics["bit_exact_hgq_vs_qkeras"].value == 1.0
    assert run.record("convert").metrics["bit_exact_fraction"].value == 1.0
    ours = np.load(run.root / "model" / "predictions.npz")["quantized"]
    theirs = _qkeras_on_test_set(run, models, "qkeras3_mlp")  # a float softmax; ours is a table
    assert np.mean(ours.argmax(1) == theirs.argmax(1)) > 0.95


def test_a_plain_keras3_file_stays_keras_file(models, tmp_path):
    from hwcodesign.families import family_of_file
    from hwcodesign.frameworks import import_keras

    keras = import_keras()
    keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)]).save(tmp_path / "plain.keras")
    assert family_of_file(tmp_path / "plain.keras").kind == "keras_file"
    assert family_of_file(models / "qkeras3_mlp.keras").kind == "keras2_file"
