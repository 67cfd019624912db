"""Jet features, the committed Pythia8 sample, splits and standardisation."""

import json

import numpy as np
import pytest

from hwcodesign.config import JetDataConfig
from hwcodesign.data.jets import CLASSES, SAMPLE_FILE, jet_features, load_jet_table, load_jets
from hwcodesign.errors import ConfigError, DataNotFoundError


def test_features_from_kinematics():
    # one real constituent (pt=50, E=100 of a jet with pT=500, E=1000) and one padding row
    kin = np.array([[[50.0, 100.0, 0.1, 0.1, 0.3, -0.4], [0, 0, 0, 0, 0, 0]]], np.float32)
    f = jet_features(kin, ("ptrel", "erel", "deta", "dphi", "dr", "logpt", "loge", "logptrel"))
    expected = [0.1, 0.1, 0.3, -0.4, 0.5, np.log(50), np.log(100), np.log(0.1)]
    np.testing.assert_allclose(f[0, 0], expected, rtol=1e-6)
    assert np.all(f[0, 1] == 0), "padding must stay zero"
    with pytest.raises(ConfigError, match="unknown jet features"):
        jet_features(kin, ("mass",))


def test_committed_sample_manifest_matches_contents():
    manifest = json.loads(SAMPLE_FILE.with_suffix(".json").read_text())
    table = load_jet_table(SAMPLE_FILE)
    counts = np.bincount(table["label"], minlength=5)
    assert manifest["counts"] == dict(zip(CLASSES, counts.tolist(), strict=True))
    assert min(counts) >= 300
    assert manifest["generator"].startswith("Pythia8 particle-level jets")


def test_sample_physics():
    """Groomed masses peak at the PDG masses (W 80.4, Z 91.2, t 172.6 GeV); q/g stay light;
    jets sit in the ~1 TeV pT window; constituents are pT-ordered with pT/pT_jet <= 1."""
    t = load_jet_table(SAMPLE_FILE)
    med = {c: float(np.median(t["msd"][t["label"] == i])) for i, c in enumerate(CLASSES)}
    assert 74 < med["W"] < 86, med
    assert 85 < med["Z"] < 97, med
    assert 160 < med["t"] < 182, med
    assert med["q"] < 40 and med["g"] < 70, med
    assert t["pt"].min() >= 700 and t["pt"].max() <= 1400
    with np.load(SAMPLE_FILE) as f:
        pt = f["kin"][:, :, 0]
        ptrel = f["kin"][:, :, 2]
    assert np.all(np.diff(pt, axis=1) <= 0), "constituents must be pT-ordered"
    assert ptrel.max() <= 1.0 + 1e-5


def test_load_sample_splits_and_standardises():
    cfg = JetDataConfig(
        source="sample", jets_per_class=400, n_particles=8, features=("ptrel", "deta", "dphi")
    )
    ds = load_jets(cfg)
    assert ds.x_train.shape[1:] == (8, 3)
    total = {c: sum(ds.counts()[s][c] for s in ("train", "val", "test")) for c in CLASSES}
    assert total == {c: 400 for c in CLASSES}
    assert ds.counts()["test"] == {c: 80 for c in CLASSES}  # stratified 20%
    real = np.any(ds.x_train != 0, axis=-1)
    np.testing.assert_allclose(ds.x_train[real].mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(ds.x_train[real].std(axis=0), 1, atol=1e-3)
    again = load_jets(cfg)
    np.testing.assert_array_equal(ds.x_test, again.x_test)


def test_sample_too_small_says_what_to_do():
    with pytest.raises(DataNotFoundError, match="fewer than data.jets_per_class=5000"):
        load_jets(JetDataConfig(source="sample", jets_per_class=5000))
    with pytest.raises(ConfigError, match="keep only 32 constituents"):
        load_jets(JetDataConfig(source="sample", jets_per_class=100, n_particles=40))


def test_openml_source_is_refused_for_the_transformer(tmp_path):
    """The 16-feature table suits any model taking 16 inputs, not the per-particle transformer."""
    from hwcodesign.config import config_from_dict
    from hwcodesign.models.jet_transformer import frontend as jet_transformer

    table = tmp_path / "jets.csv"
    table.write_text("placeholder")
    cfg = config_from_dict({"name": "t", "data": {"source": "hls4ml_openml", "path": str(table)}})
    with pytest.raises(ConfigError, match=r"needs per-particle inputs \(particles, features\).* \(16,\)"):
        jet_transformer.check(cfg)
