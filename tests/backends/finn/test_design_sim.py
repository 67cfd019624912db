"""Whole-design simulation (backends/finn/design_sim.py) where the numbers are predictable: a
one-layer design (ActMatMul, two graph inputs) streams frames back to back at exactly the
layer's get_exp_cycles() per frame, with the latency the per-layer simulation (rtlsim) measures
for the same frames; paced frames come out at the pace; outputs == Python semantics, also with
random input gaps and output stalls; the timing numbers follow from the recorded beat cycles."""

import numpy as np
import pytest

pytest.importorskip("finn")

from test_ops_support import CLOCK_NS, hw_node, one_node_model, random_ints, specialize_and_generate  # noqa: E402

from hwcodesign.backends.finn.settings import finn_session  # noqa: E402

M = D = N = 8


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _matmul():
    node = hw_node(
        "ActMatMul", ["a", "b"], ["c"], M=M, D=D, N=N, PE=1, transpose_b=1,
        ADataType="INT4", BDataType="INT4", outputDataType="INT11",
    )  # fmt: skip
    tensors = {"a": ((1, M, D), "INT4"), "b": ((1, N, D), "INT4"), "c": ((1, M, N), "INT11")}
    return specialize_and_generate(one_node_model(node, tensors))


def _frames(rng, n: int) -> list[dict]:
    return [
        {"a": random_ints(rng, "INT4", (1, M, D)), "b": random_ints(rng, "INT4", (1, N, D))} for _ in range(n)
    ]


def test_one_layer_design_runs_at_the_layers_cycle_count(rng, tmp_path):
    from qonnx.custom_op.registry import getCustomOp

    from hwcodesign.backends.finn import design_sim
    from hwcodesign.backends.finn.rtlsim import run_graph, simulate_layer
    from hwcodesign.backends.finn.stitch import stitch

    model, node = _matmul()
    cycles = getCustomOp(node).get_exp_cycles()
    assert cycles == M * N * D
    frames = _frames(rng, 8)
    design = stitch(model, tmp_path / "d")
    assert design["fifos"] == [] and len(design["inputs"]) == 2  # no edge between layers
    estimate = {"max_cycles": cycles, "max_cycles_layer": node.name, "critical_path_cycles": cycles}
    assert design["estimate"] == estimate
    sim = design_sim.simulate_frames(tmp_path / "d", frames, tmp_path / "sim", CLOCK_NS)
    t = sim["timing"]
    assert t["interval_cycles"] == cycles and t["frames_per_s"] == pytest.approx(1e9 / (cycles * CLOCK_NS))
    contexts = [run_graph(model, f) for f in frames]
    layer = simulate_layer(model, node, contexts, tmp_path / "layer")
    assert layer["status"] == "bit-exact" and layer["cycles_per_frame"] == cycles
    assert t["first_latency_cycles"] == layer["first_frame_cycles"]  # same layer, same frames, same clock
    assert t["first_latency_ns"] == t["first_latency_cycles"] * CLOCK_NS
    ref = np.stack([c["c"] for c in contexts]).reshape(8, -1)
    for got in (sim["outputs"][0], sim["outputs_stalls"][0]):
        assert np.array_equal(got.reshape(8, -1), ref)
    # the recorded cycles give the timing: last beat of frame f - first input beat of frame f + 1
    np.testing.assert_array_equal(sim["frame_end"][1:] - sim["frame_end"][:-1], cycles)
    assert t["first_latency_cycles"] == sim["frame_end"][0] - sim["frame_start"][0] + 1


def test_paced_frames_leave_at_the_pace(rng, tmp_path):
    from hwcodesign.backends.finn import design_sim
    from hwcodesign.backends.finn.stitch import stitch

    model, _ = _matmul()
    stitch(model, tmp_path / "d")
    exe, _ = design_sim.build(tmp_path / "d", tmp_path / "sim")
    frames = _frames(rng, 6)
    pace = 3 * M * N * D
    r = design_sim.run(exe, tmp_path / "d", frames, tmp_path / "sim" / "paced", frame_interval=pace)
    np.testing.assert_array_equal(r.frame_start, np.arange(6) * pace)
    t = design_sim.timing(r, CLOCK_NS)
    assert t["interval_cycles"] == pace
    lat = r.frame_end - r.frame_start + 1
    assert np.all(lat == lat[0])  # an idle layer each time: the same latency for every frame
