"""Loaders for the public hls4ml jet formats, on small files written in those layouts."""

import h5py
import numpy as np
import pytest

from hwcodesign.config import JetDataConfig
from hwcodesign.data.jets import OPENML_FEATURES, load_hls4ml_openml, load_hls4ml_zenodo, load_jets
from hwcodesign.errors import DataNotFoundError

PARTICLE_NAMES = [
    "j1_px",
    "j1_py",
    "j1_pz",
    "j1_e",
    "j1_erel",
    "j1_pt",
    "j1_ptrel",
    "j1_eta",
    "j1_etarel",
    "j1_etarot",
    "j1_phi",
    "j1_phirel",
    "j1_phirot",
    "j1_deltaR",
    "j1_costheta",
    "j1_costhetarel",
]
LABELS = ["j_g", "j_q", "j_w", "j_z", "j_t", "j_undef"]


def write_zenodo(path, n_jets, n_part, rng):
    const = np.zeros((n_jets, n_part, 16), np.float32)
    pt = rng.uniform(1, 100, (n_jets, n_part)).astype(np.float32)
    const[:, :, PARTICLE_NAMES.index("j1_pt")] = pt  # deliberately not sorted
    const[:, :, PARTICLE_NAMES.index("j1_e")] = pt * 1.5
    const[:, :, PARTICLE_NAMES.index("j1_ptrel")] = pt / 1000
    const[:, :, PARTICLE_NAMES.index("j1_erel")] = pt / 2000
    const[:, :, PARTICLE_NAMES.index("j1_etarel")] = rng.normal(0, 0.2, (n_jets, n_part))
    const[:, :, PARTICLE_NAMES.index("j1_phirel")] = rng.normal(0, 0.2, (n_jets, n_part))
    labels = np.arange(n_jets) % 5
    jets = np.zeros((n_jets, 59), np.float32)
    jet_names = [f"j_feat{i}" for i in range(53)] + LABELS
    jets[np.arange(n_jets), 53 + labels] = 1
    with h5py.File(path, "w") as f:
        f["jetConstituentList"] = const
        f["particleFeatureNames"] = np.array([n.encode() for n in PARTICLE_NAMES])
        f["jets"] = jets
        f["jetFeatureNames"] = np.array([n.encode() for n in jet_names])
    return const, labels


def test_zenodo_layout(tmp_path, rng):
    const, labels = write_zenodo(tmp_path / "jetImage_0_150p_0_10.h5", 10, 6, rng)
    kin, y, meta = load_hls4ml_zenodo(tmp_path)
    np.testing.assert_array_equal(y, labels)
    pt = const[:, :, PARTICLE_NAMES.index("j1_pt")]
    np.testing.assert_allclose(kin[:, :, 0], -np.sort(-pt, axis=1))  # re-sorted by pT
    order = np.argsort(-pt, axis=1, kind="stable")
    deta = np.take_along_axis(const[:, :, PARTICLE_NAMES.index("j1_etarel")], order, axis=1)
    np.testing.assert_allclose(kin[:, :, 4], deta)
    assert "Zenodo" in meta["generator"]


def test_zenodo_through_the_data_config(tmp_path, rng):
    write_zenodo(tmp_path / "a.h5", 50, 8, rng)
    ds = load_jets(
        JetDataConfig(
            source="hls4ml_zenodo",
            path=tmp_path / "a.h5",
            jets_per_class=10,
            n_particles=8,
            features=("ptrel", "deta"),
        )
    )
    assert ds.x_train.shape[1:] == (8, 2) and sum(len(y) for y in (ds.y_train, ds.y_val, ds.y_test)) == 50


def test_zenodo_wrong_layout(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["something"] = np.zeros(3)
    with pytest.raises(DataNotFoundError, match="no dataset 'jetConstituentList'"):
        load_hls4ml_zenodo(tmp_path / "x.h5")


def test_openml_arff_and_csv(tmp_path, rng):
    x = rng.normal(size=(6, 16)).round(4)
    classes = ["g", "q", "w", "z", "t", "w"]
    arff = ["% hls4ml_lhc_jets_hlf", "@RELATION hls4ml_lhc_jets_hlf"]
    arff += [f"@ATTRIBUTE {n} NUMERIC" for n in OPENML_FEATURES]
    arff += ["@ATTRIBUTE class {g,q,w,z,t}", "@DATA"]
    arff += [",".join(map(str, row)) + f",{c}" for row, c in zip(x, classes, strict=True)]
    (tmp_path / "t.arff").write_text("\n".join(arff))
    xa, ya, names = load_hls4ml_openml(tmp_path / "t.arff")
    np.testing.assert_allclose(xa, x, rtol=1e-5)
    assert ya.tolist() == [0, 1, 2, 3, 4, 2] and names == list(OPENML_FEATURES)

    csv = [",".join([*OPENML_FEATURES, "class"])]
    csv += [",".join(map(str, row)) + f",{c}" for row, c in zip(x, classes, strict=True)]
    (tmp_path / "t.csv").write_text("\n".join(csv))
    xc, yc, _ = load_hls4ml_openml(tmp_path / "t.csv")
    np.testing.assert_allclose(xc, x, rtol=1e-5)
    assert yc.tolist() == ya.tolist()

    (tmp_path / "bad.csv").write_text("a,b,class\n1,2,g\n")
    with pytest.raises(DataNotFoundError, match="lacks columns"):
        load_hls4ml_openml(tmp_path / "bad.csv")


def test_openml_table_through_the_data_config(tmp_path, rng):
    """data.source hls4ml_openml: 16 standardised features per jet, for any 16-input model."""
    n = 60
    x = rng.normal(size=(n, 16)).round(4)
    classes = ["g", "q", "w", "z", "t"] * (n // 5)
    csv = [",".join([*OPENML_FEATURES, "class"])]
    csv += [",".join(map(str, row)) + f",{c}" for row, c in zip(x, classes, strict=True)]
    (tmp_path / "t.csv").write_text("\n".join(csv))
    ds = load_jets(JetDataConfig(source="hls4ml_openml", path=tmp_path / "t.csv", jets_per_class=12))
    assert ds.x_train.shape[1:] == (16,) and len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == n
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)  # standardised on train
    assert ds.classes == ["g", "q", "W", "Z", "t"] and ds.meta["features"] == list(OPENML_FEATURES)
