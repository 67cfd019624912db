"""da4ml RTL of a small HGQ2 model, simulated in Verilator: bit-exact vs Keras, latency
measured from the data equals da4ml's pipeline depth."""

import numpy as np

from hwcodesign.backends.da4ml import stream_sim
from hwcodesign.backends.da4ml.project import RtlProject, decode_outputs, encode_inputs, write_rtl
from hwcodesign.backends.da4ml.stream_sim import measure_latency
from hwcodesign.frameworks import import_keras


def small_hgq_mlp(rng):
    keras = import_keras()
    from hgq.config import QuantizerConfigScope
    from hgq.layers import QDense
    from hgq.utils import trace_minmax

    keras.utils.set_random_seed(3)
    with QuantizerConfigScope(place="datalane", q_type="kif", i0=3, f0=4):
        inp = keras.Input((12,))
        x = QDense(16, activation="relu")(inp)
        out = QDense(5)(x)
    model = keras.Model(inp, out)
    x = rng.normal(size=(400, 12)).astype(np.float32)
    trace_minmax(model, x)
    return model, x


def test_measure_latency_finds_the_lag():
    ref = np.arange(20).reshape(10, 2)
    per_cycle = np.vstack([np.full((3, 2), -1), ref, np.zeros((4, 2))])
    m = measure_latency(per_cycle, ref, max_lag=6)
    assert m.latency_cycles == 3 and m.matched_fraction == 1.0
    assert measure_latency(per_cycle, ref + 100, max_lag=6).matched_fraction == 0.0


def test_small_mlp_rtl_is_bit_exact_with_measured_latency(hostile_dir, rng):
    """Also the path test of the Verilator build: everything lives under a folder whose
    name holds spaces, quotes, ';' and '$(...)'."""
    tmp_path = hostile_dir
    model, x = small_hgq_mlp(rng)
    y_keras = model.predict(x, verbose=0)
    project, _ = write_rtl(
        model, tmp_path / "da4ml", latency_cutoff=2.0, clock_ns=5.0, part="xcvu13p-flga2577-2-e"
    )
    assert project.stages >= 2, "latency_cutoff=2 must pipeline the MLP"
    assert RtlProject.load(tmp_path / "da4ml") == project  # the folder describes itself

    run = stream_sim.simulate(project, x, y_keras, tmp_path / "sim", cache_dir=tmp_path / "cache")
    assert run.latency.matched_fraction == 1.0, (
        f"only {run.latency.matched_fraction:.2%} of samples bit-exact"
    )
    assert run.latency.latency_cycles == project.stages, "one register stage per da4ml pipeline stage"
    np.testing.assert_array_equal(run.outputs, y_keras.astype(np.float64))
    assert not run.build["cached"]

    again = stream_sim.simulate(project, x, y_keras, tmp_path / "sim2", cache_dir=tmp_path / "cache")
    assert again.build["cached"] and np.array_equal(again.outputs, run.outputs)


def test_decode_handles_signed_outputs():
    raw = np.array([[0b1111_1111, 0b0000_0001]])
    assert decode_outputs(raw, (1, 3, 4)).tolist() == [[-1 / 16, 1 / 16]]
    assert encode_inputs(np.array([[-0.07, 0.5]]), (1, 3, 4)).tolist() == [[-2, 8]]


def test_trace_writes_vivado_project(tmp_path, rng):
    model, _ = small_hgq_mlp(rng)
    write_rtl(model, tmp_path, latency_cutoff=1.0, clock_ns=4.0, part="xczu7ev-ffvc1156-2-e")
    tcl = (tmp_path / "build_vivado_prj.tcl").read_text()
    assert 'set device "xczu7ev-ffvc1156-2-e"' in tcl
    assert "set clock_period 4.0" in (tmp_path / "src" / "model.xdc").read_text()
