"""The Python API and the CLI short form on a user's model and data (real tools): config from
objects, content-addressed inputs, a second call fully cached, the report as DataFrames."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hwcodesign as hw
from hwcodesign.errors import ConfigError
from hwcodesign.frameworks import import_keras


@pytest.fixture(scope="module")
def user_model_and_data(tmp_path_factory):
    keras = import_keras()
    folder = tmp_path_factory.mktemp("user")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + 2 * (x[:, 2] > 0)
    keras.utils.set_random_seed(2)
    inp = keras.Input((8,))
    model = keras.Model(inp, keras.layers.Dense(4)(keras.layers.Dense(8, activation="relu")(inp)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=10, verbose=0)
    model.save(folder / "my model.keras")
    np.savez(folder / "my data.npz", x=x, y=y)
    return model, x, y, folder


def test_objects_become_files_and_a_second_call_is_cached(user_model_and_data, tmp_path):
    model, x, y, _ = user_model_and_data
    target = hw.Target(part="xczu7ev-ffvc1156-2-e", clock_ns=4.0)
    run = hw.run(
        model, data=(x, y), target=target, name="mine", runs_dir=tmp_path, until="convert", progress=False
    )
    assert Path(run.config.model.path).parent == tmp_path / ".inputs" and run.config.target.clock_ns == 4.0
    events = []
    again = hw.run(
        model,
        data=(x, y),
        target=target,
        name="mine",
        runs_dir=tmp_path,
        until="convert",
        progress=events.append,
    )
    assert [e.state for e in events] == ["cached", "cached", "cached"] and again.root == run.root
    emu = np.load(run.root / "hls" / "emulation.npz")
    assert np.array_equal(emu["hls"], emu["reference"])
    assert list(hw.open(run.root).steps["status"][:3]) == ["ok", "ok", "ok"]


def test_bad_arguments_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot tell the model format of m\.pt"):
        hw.make_config("m.pt", runs_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"data as a tuple is \(x, y\) or \(x,\)"):
        hw.make_config({"kind": "keras_file", "path": "m.keras"}, data=(1, 2, 3), runs_dir=tmp_path)


def test_cli_short_form_to_rtl(user_model_and_data, tmp_path):
    _, _, _, folder = user_model_and_data
    cli = Path(sys.executable).with_name("hwcodesign")
    res = subprocess.run(
        [
            cli,
            "run",
            "--model",
            folder / "my model.keras",
            "--data",
            folder / "my data.npz",
            "--part",
            "xcvu13p-flga2577-2-e",
            "--clock-ns",
            "5",
            "--runs-dir",
            tmp_path,
            "--until",
            "rtl",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    run = hw.open(tmp_path / "my_model")
    rtl = run.run.record("rtl").metrics
    assert rtl["bit_exact_vs_hls4ml"].value == 1.0 and rtl["ii_cycles"].value == 1
    out = np.load(run.root / "rtl" / "rtl_outputs.npz")
    assert np.array_equal(out["rtl"], out["hls"])
