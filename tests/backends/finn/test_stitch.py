"""The DAG stitcher (backends/finn/stitch.py) on a small hand-built graph with what the tiny ViT
has: fan-out (ReplicateStream to three branches), a two-input layer that buffers one whole input
before using the other (ActMatMul: Q.K^T), a residual add of two branches (IntAdd), and width
converters (IntAdd at PE=2 after PE=1 layers). The stitched design in Verilator == finn-plus'
Python semantics of the graph on every frame; FIFO sizing gives depths <= the frame-deep build
and a sized build with the same outputs and cycles; a FIFO made too shallow on purpose is
reported as a deadlock naming its edge (the Q path of the attention), without hanging."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.requant_add.reference import po2_params  # noqa: E402
from test_ops_support import CLOCK_NS, FPGA_PART, hw_node, random_ints  # noqa: E402

from hwcodesign.backends.finn.settings import finn_session  # noqa: E402
from hwcodesign.errors import DeadlockError, UnsupportedLayerError  # noqa: E402

T = C = 8  # tokens, channels: Q.K^T is T x T, so the residual add is T x C
MA, MB, S = po2_params(2, 5, 3)


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _graph(nodes, tensors: dict, inputs: list[str], outputs: list[str], inits: dict | None = None):
    """A ModelWrapper of HW ``nodes``; ``tensors``: name -> (shape, FINN type)."""
    from onnx import TensorProto, helper
    from qonnx.core.datatype import DataType
    from qonnx.core.modelwrapper import ModelWrapper

    def info(name):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(tensors[name][0]))

    inits = inits or {}
    inner = [t for t in tensors if t not in inputs and t not in outputs and t not in inits]
    ins, outs = [info(t) for t in inputs], [info(t) for t in outputs]
    graph = helper.make_graph(nodes, "dag", ins, outs, value_info=[info(t) for t in inner])
    opsets = [helper.make_opsetid(d, v) for d, v in (("", 17), ("finn.custom_op.fpgadataflow", 1))]
    model = ModelWrapper(helper.make_model(graph, opset_imports=opsets))
    for name, value in inits.items():
        model.set_initializer(name, np.asarray(value, dtype=np.float32))
    for name, (_, dt) in tensors.items():
        model.set_tensor_datatype(name, DataType[dt])
    return model


def _dag(add_pe: int = 2):
    """x -> ReplicateStream -> (q, k, res); ActMatMul(q, k^T) -> s; IntAdd(res, s) -> y."""
    nodes = [
        hw_node(
            "ReplicateStream", ["x"], ["q", "k", "res"],
            num=3, dtype="INT4", num_elems=C, PE=1, num_inputs=[1, T],
        ),
        hw_node(
            "ActMatMul", ["q", "k"], ["s"], M=T, D=C, N=T, PE=1, transpose_b=1,
            ADataType="INT4", BDataType="INT4", outputDataType="INT11",
        ),
        hw_node(
            "IntAdd", ["res", "s"], ["y"], NumChannels=C, PE=add_pe, numInputVectors=[1, T],
            lhsDataType="INT4", rhsDataType="INT11", outputDataType="INT8", MA=MA, MB=MB, shift=S,
        ),
    ]  # fmt: skip
    tensors = {t: ((1, T, C), "INT4") for t in ("x", "q", "k", "res")}
    tensors |= {"s": ((1, T, T), "INT11"), "y": ((1, T, C), "INT8")}
    return _graph(nodes, tensors, ["x"], ["y"])


def _rtl(model):
    """SpecializeLayers (every layer RTL), PrepareIP, then the stitcher's own DWC insertion."""
    from finn.transformation.fpgadataflow.prepare_ip import PrepareIP
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

    from hwcodesign.backends.finn.stitch import stitchable

    model = model.transform(SpecializeLayers(FPGA_PART)).transform(PrepareIP(FPGA_PART, CLOCK_NS))
    return stitchable(model, FPGA_PART, CLOCK_NS)


def _frames(rng, n: int) -> list[np.ndarray]:
    return [random_ints(rng, "INT4", (1, T, C)) for _ in range(n)]


def test_stitched_dag_is_bit_exact_and_fifo_sizing_keeps_it(rng, tmp_path):
    import json

    from hwcodesign.backends.finn import design_sim
    from hwcodesign.backends.finn.rtlsim import run_graph
    from hwcodesign.backends.finn.stitch import frames_in_flight, size_fifos

    model = _rtl(_dag())
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("StreamingDataWidthConverter_rtl") == 2, ops  # both IntAdd inputs: PE 1 -> 2
    frames = _frames(rng, 12)
    record = size_fifos(model, tmp_path / "st", frames)
    deep = json.loads((tmp_path / "st" / "deep" / "design.json").read_text())
    final = json.loads((tmp_path / "st" / "design" / "design.json").read_text())
    assert len(final["fifos"]) == 6  # q, k, res->DWC, DWC->add, s->DWC, DWC->add
    for d, f, row in zip(deep["fifos"], final["fifos"], record["fifos"], strict=True):
        assert d["depth"] == frames_in_flight(model) * d["frame_beats"] and 2 <= f["depth"] <= d["depth"], row
        occupancy = max(row["max_occupancy_paced"], row["max_occupancy_paced_stalls"])
        assert f["depth"] == min(d["depth"], max(2, occupancy + 2)), row
    by_edge = {r["edge"]: r for r in record["fifos"]}
    # Q waits while K is loaded whole: the kernel takes at most 2 rows of Q ahead, its FIFO the rest
    assert by_edge["q"]["depth"] >= (T - 2) * C
    sim = design_sim.simulate_frames(tmp_path / "st" / "design", frames, tmp_path / "sim", CLOCK_NS)
    ref = np.stack([run_graph(model, f)["y"] for f in frames])
    for what, got in (("back to back", sim["outputs"][0]), ("stalls", sim["outputs_stalls"][0])):
        bad = np.flatnonzero(np.any(got.reshape(len(frames), -1) != ref.reshape(len(frames), -1), axis=1))
        assert not len(bad), f"{what}: {len(bad)} of {len(frames)} frames differ from Python semantics: {bad}"
    # the slowest layer sets the pace: ActMatMul, T*T*C cycles per frame
    assert sim["timing"]["interval_cycles"] == T * T * C == final["estimate"]["max_cycles"]


def test_too_shallow_fifo_is_a_deadlock_naming_the_edge(rng, tmp_path):
    from hwcodesign.backends.finn import design_sim
    from hwcodesign.backends.finn.stitch import stitch

    model = _rtl(_dag())
    stitch(model, tmp_path / "d", depths={"q": 2})
    exe, _ = design_sim.build(tmp_path / "d", tmp_path / "sim")
    with pytest.raises(DeadlockError) as e:
        design_sim.run(exe, tmp_path / "d", _frames(rng, 2), tmp_path / "sim" / "run")
    msg = str(e.value)
    edge = "FIFO full: edge 'q' (ReplicateStream_rtl_0.out0_V -> ActMatMul_rtl_0.in0_V)"
    assert "deadlock" in msg and edge in msg, msg
    assert "waits on empty edge(s) k" in msg and f"suggested depth {T * C}" in msg, msg


def test_refuses_what_it_cannot_feed(rng, tmp_path):
    from hwcodesign.backends.finn.stitch import stitch

    # fan-out without ReplicateStream
    add = {"NumChannels": C, "PE": 1, "numInputVectors": [1, T], "lhsDataType": "INT4", "rhsDataType": "INT4"}
    add |= {"outputDataType": "INT8", "MA": MA, "MB": MB, "shift": S}
    fan = _graph(
        [hw_node("IntAdd", ["x", "x"], ["y"], **add)],
        {"x": ((1, T, C), "INT4"), "y": ((1, T, C), "INT8")},
        ["x"],
        ["y"],
    )
    with pytest.raises(UnsupportedLayerError, match="tensor 'x' goes to IntAdd_rtl_0, IntAdd_rtl_0"):
        stitch(_rtl(fan), tmp_path / "fan")
    # a constant on a stream port the stitcher has no feed for: ActMatMul's B
    mm = hw_node(
        "ActMatMul", ["a", "b"], ["c"], M=T, D=C, N=T, PE=1, transpose_b=1,
        ADataType="INT4", BDataType="INT4", outputDataType="INT11",
    )  # fmt: skip
    const = _graph(
        [mm],
        {"a": ((1, T, C), "INT4"), "b": ((1, T, C), "INT4"), "c": ((1, T, T), "INT11")},
        ["a"],
        ["c"],
        inits={"b": random_ints(rng, "INT4", (1, T, C))},
    )
    with pytest.raises(UnsupportedLayerError, match="'ActMatMul_rtl_0'.*in1_V \\(b\\) cannot be fed"):
        stitch(_rtl(const), tmp_path / "const")


def test_same_graph_same_design(tmp_path):
    """Stitching is deterministic (InsertDWC's random tensor names are replaced), so the package
    rebuilds the stitch step's design byte for byte and Verilator's build cache hits."""
    from hwcodesign.backends.finn.stitch import stitch

    for k in range(2):
        stitch(_rtl(_dag()), tmp_path / f"d{k}")
    files = sorted(p.relative_to(tmp_path / "d0") for p in (tmp_path / "d0").rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(tmp_path / "d1") for p in (tmp_path / "d1").rglob("*") if p.is_file()
    )
    for f in files:
        assert (tmp_path / "d0" / f).read_bytes() == (tmp_path / "d1" / f).read_bytes(), f
    assert (
        "StreamingDataWidthConverter_rtl_0_out0" in (tmp_path / "d0" / "src" / "hwcd_dataflow.v").read_text()
    )
