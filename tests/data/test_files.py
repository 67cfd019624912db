"""Your own data from .npz and HDF5 files: keys, fixed splits or fractions, optional labels,
class names; shapes are checked against the model before anything runs."""

import h5py
import numpy as np
import pytest

from hwcodesign.config import FileDataConfig, config_from_dict
from hwcodesign.data.files import load_file_data, peek_file
from hwcodesign.errors import ConfigError, DataNotFoundError
from hwcodesign.flows import run_flow
from hwcodesign.run import Run


def test_npz_split_by_fractions_stratified(tmp_path, rng):
    x, y = rng.normal(size=(200, 6)).astype(np.float32), np.repeat(np.arange(4), 50)
    np.savez(tmp_path / "d.npz", features=x, target=y)
    cfg = FileDataConfig(
        dataset="file",
        path=tmp_path / "d.npz",
        x_key="features",
        y_key="target",
        class_names=("a", "b", "c", "d"),
    )
    assert peek_file(cfg) == ((6,), True)
    ds = load_file_data(cfg)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 200 and len(ds.x_test) == 40
    assert ds.counts()["test"] == {"a": 10, "b": 10, "c": 10, "d": 10}
    np.testing.assert_array_equal(
        np.sort(np.concatenate([ds.x_train, ds.x_val, ds.x_test]), axis=0), np.sort(x, axis=0)
    )


def test_hdf5_fixed_splits_in_a_group_and_unlabelled(tmp_path, rng):
    with h5py.File(tmp_path / "d.h5", "w") as h5:
        g = h5.create_group("jets")
        g["x_train"], g["x_test"] = rng.normal(size=(90, 3, 2)), rng.normal(size=(30, 3, 2))
    cfg = FileDataConfig(dataset="file", path=tmp_path / "d.h5", x_key="jets/x")
    assert peek_file(cfg) == ((3, 2), False)
    ds = load_file_data(cfg)
    assert len(ds.x_test) == 30 and len(ds.x_train) + len(ds.x_val) == 90 and not ds.labelled


@pytest.mark.parametrize(
    "arrays,match",
    [
        ({"x": np.zeros((20, 4))}, None),
        ({"x": np.zeros((20, 4)), "y": np.zeros(19)}, r"labels 'y' have shape \(19,\), expected \(20,\)"),
        ({"inputs": np.zeros((20, 4))}, r"has no 'x' \(data\.x_key\).*its keys: inputs"),
        (
            {"x_train": np.zeros((20, 4)), "x_test": np.zeros((5, 3))},
            r"the splits have different sample shapes",
        ),
        ({"x": np.zeros((20, 4)), "y": np.full(20, "b")}, r"labels 'y' must be integer classes"),
    ],
)
def test_file_problems_are_one_line(tmp_path, arrays, match):
    np.savez(tmp_path / "d.npz", **arrays)
    cfg = FileDataConfig(dataset="file", path=tmp_path / "d.npz")
    if match is None:
        assert load_file_data(cfg).labelled is False
    else:
        with pytest.raises(DataNotFoundError, match=match):
            load_file_data(cfg)


def test_not_a_data_file(tmp_path):
    (tmp_path / "d.npz").write_text("text")
    with pytest.raises(DataNotFoundError, match=r"d\.npz is neither an \.npz nor an HDF5 file"):
        peek_file(FileDataConfig(dataset="file", path=tmp_path / "d.npz"))


def test_shape_mismatch_is_refused_before_any_step(tmp_path, rng):
    """A (16, 1) input for a 16-input model: one clear line naming both shapes, nothing squeezed,
    no step looking complete."""
    from hwcodesign.frameworks import import_keras

    keras = import_keras()
    inp = keras.Input((16,))
    keras.Model(inp, keras.layers.Dense(5)(inp)).save(tmp_path / "m.keras")
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(100, 16, 1)), y=np.repeat(np.arange(5), 20))
    cfg = config_from_dict(
        {
            "name": "mismatch",
            "runs_dir": str(tmp_path / "runs"),
            "data": {"dataset": "file", "path": str(tmp_path / "d.npz")},
            "model": {"kind": "keras_file", "path": str(tmp_path / "m.keras")},
        }
    )
    with pytest.raises(
        ConfigError, match=r"takes inputs of shape \(16,\), but the data gives \(16, 1\) per sample"
    ):
        run_flow(cfg)
    run = Run(cfg)
    assert not run.root.exists() or all(run.record(s) is None for s in ("data", "train"))
