"""The compiled emulator of a da4ml design against two independent references: Verilator's
outputs of the RTL (whole test set) and da4ml's own DAIS interpreter (random inputs far
outside the data, so every wrap-around and multiplexer path is taken)."""

import numpy as np
from typer.testing import CliRunner

from hwcodesign.artifacts import RTL_OUTPUTS, load_dataset, load_emulator, locate


def test_bit_exact_with_verilator_on_the_test_set(tiny_run):
    emu = load_emulator(tiny_run)
    x = load_dataset(tiny_run).x_test
    with np.load(locate(tiny_run, RTL_OUTPUTS)) as f:
        rtl = f["rtl"].reshape(len(x), -1)
    y = emu.predict(x)
    assert y.shape == rtl.shape
    assert np.array_equal(y, rtl)
    import hwcodesign as hw

    assert np.array_equal(hw.emulate(tiny_run.root, x[:37], prepared=True), rtl[:37])


def test_bit_exact_with_the_da4ml_interpreter_far_outside_the_data(tiny_run):
    from da4ml._binary import dais_interp_run

    emu = load_emulator(tiny_run)
    rng = np.random.default_rng(3)
    x = rng.normal(0, 40, size=(4099, emu.n_in))  # not a multiple of the 8- or 16-sample block
    ref = np.asarray(dais_interp_run(emu.comb.to_binary(), x, 1)).reshape(len(x), -1)
    y = emu.predict(x)
    assert np.array_equal(y, ref), f"{np.sum(np.any(y != ref, axis=1))} of {len(x)} differ"
    assert np.array_equal(emu.predict(x[:5], threads=1), ref[:5])
    assert emu.predict(x[:0]).shape == (0, emu.n_out)


def test_64_bit_lanes_agree_with_32_bit_lanes_and_the_interpreter(tiny_run):
    from da4ml._binary import dais_interp_run

    from hwcodesign.backends.da4ml.emulator import Emulator

    emu32 = load_emulator(tiny_run)
    assert emu32.bits == 32  # every value of the tiny design fits 31 bits
    emu64 = Emulator(emu32.comb, tiny_run.cache_dir("emulator"), bits=64)
    x = np.random.default_rng(5).normal(0, 40, size=(1031, emu32.n_in))
    ref = np.asarray(dais_interp_run(emu32.comb.to_binary(), x, 1)).reshape(len(x), -1)
    assert np.array_equal(emu64.predict(x), ref)
    assert np.array_equal(emu32.predict(x), ref)


def test_second_load_is_cached_and_cli_streams_a_npy(tiny_run, tmp_path):
    from hwcodesign.cli import app

    first, again = load_emulator(tiny_run), load_emulator(tiny_run)
    assert again.cached and again.library == first.library
    x = load_dataset(tiny_run).x_test
    np.save(tmp_path / "x.npy", np.concatenate([x] * 3).astype(np.float32))
    out = tmp_path / "y.npy"
    args = [
        "emulate",
        str(tiny_run.root),
        "--data",
        str(tmp_path / "x.npy"),
        "--out",
        str(out),
        "--chunk",
        "700",
        "--prepared",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.load(out), np.concatenate([first.predict(x)] * 3))
    result = CliRunner().invoke(app, ["emulate", str(tiny_run.root)])
    assert result.exit_code == 0 and f"{len(x)}/{len(x)}" in result.output, result.output
