"""StreamingSplit_rtl / StreamingConcat_rtl / ReplicateStream_rtl: finn-plus' own HW ops get
hwcodesign's stream kernels as RTL variants. Python semantics (finn-plus') == the kernels'
references; SpecializeLayers picks the RTL variant; Verilator == Python semantics on every
output, also with each output stalled independently; cycles == get_exp_cycles()."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.stream_concat.reference import stream_concat  # noqa: E402
from hwcodesign.hls.stream_replicate.reference import stream_replicate  # noqa: E402
from hwcodesign.hls.stream_split.reference import stream_split  # noqa: E402
from test_ops_support import (  # noqa: E402
    assert_bit_exact,
    assert_cycles,
    hw_node,
    one_node_model,
    random_ints,
    simulate,
    specialize_and_generate,
)

from hwcodesign.backends.finn.settings import finn_session  # noqa: E402
from hwcodesign.errors import KernelParameterError  # noqa: E402

T = 16


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _split(sizes, simd, dt="INT8"):
    outs = [f"y{k}" for k in range(len(sizes))]
    node = hw_node(
        "StreamingSplit",
        ["x"],
        outs,
        SIMD=simd,
        ChannelsPerStream=list(sizes),
        inputDataType=dt,
        numInputVectors=[1, T],
    )
    tensors = {
        "x": ((1, T, sum(sizes)), dt),
        **{o: ((1, T, c), dt) for o, c in zip(outs, sizes, strict=True)},
    }
    return one_node_model(node, tensors)


def _concat(sizes, simd, dts):
    ins = [f"x{k}" for k in range(len(sizes))]
    node = hw_node(
        "StreamingConcat",
        ins,
        ["y"],
        SIMD=simd,
        ChannelsPerStream=list(sizes),
        inputDataTypes=list(dts),
        numInputVectors=[1, T],
    )
    tensors = {i: ((1, T, c), dt) for i, c, dt in zip(ins, sizes, dts, strict=True)}
    model = one_node_model(node, {**tensors, "y": ((1, T, sum(sizes)), "INT32")})
    from qonnx.custom_op.registry import getCustomOp

    model.set_tensor_datatype("y", getCustomOp(node).get_output_datatype())
    return model


def _replicate(num, pe, dt="INT4", c=32):
    outs = [f"y{k}" for k in range(num)]
    node = hw_node("ReplicateStream", ["x"], outs, num=num, dtype=dt, num_elems=c, PE=pe, num_inputs=[1, T])
    return one_node_model(node, {"x": ((1, T, c), dt), **{o: ((1, T, c), dt) for o in outs}})


def _run(rng, tmp_path, model, frames, ready_percent):
    from qonnx.custom_op.registry import getCustomOp

    model, node = specialize_and_generate(model)
    inst = getCustomOp(node)
    row = simulate(model, node, frames, tmp_path / "sim", ready_percent=ready_percent)
    assert_bit_exact(row, len(frames))
    if ready_percent == 100:
        assert_cycles(row, int(inst.get_exp_cycles()))
    return row


def test_python_semantics_are_the_references(rng):
    from hwcodesign.backends.finn.rtlsim import run_graph

    x = random_ints(rng, "INT8", (1, T, 96))
    ctx = run_graph(_split((32, 32, 32), 1), {"x": x})
    for k, ref in enumerate(stream_split(x[0], (32, 32, 32))):
        assert np.array_equal(ctx[f"y{k}"][0], ref)
    xs = [random_ints(rng, "INT20", (1, T, 16)) for _ in range(2)]
    ctx = run_graph(_concat((16, 16), 1, ["INT20", "INT20"]), {"x0": xs[0], "x1": xs[1]})
    assert np.array_equal(ctx["y"][0], stream_concat([x[0] for x in xs]))
    x = random_ints(rng, "INT4", (1, T, 32))
    ctx = run_graph(_replicate(3, 1), {"x": x})
    for k, ref in enumerate(stream_replicate(x, 3)):
        assert np.array_equal(ctx[f"y{k}"], ref)


@pytest.mark.parametrize(
    "sizes, simd, dt, ready",
    [
        ((32, 32, 32), 1, "INT8", 100),
        ((16, 16), 2, "INT4", 100),
        ((8, 4, 12, 8), 4, "INT8", 100),
        ((32, 32, 32), 1, "INT8", 60),
    ],
)
def test_split_rtl(rng, tmp_path, sizes, simd, dt, ready):
    frames = [{"x": random_ints(rng, dt, (1, T, sum(sizes)))} for _ in range(3)]
    _run(rng, tmp_path, _split(sizes, simd, dt), frames, ready)


@pytest.mark.parametrize(
    "sizes, simd, dts",
    [
        ((16, 16), 1, ("INT20", "INT20")),
        ((16, 16), 4, ("INT20", "INT20")),
        ((8, 16, 8), 2, ("INT8", "UINT4", "INT6")),
    ],
)
def test_concat_rtl(rng, tmp_path, sizes, simd, dts):
    frames = [
        {f"x{k}": random_ints(rng, dt, (1, T, c)) for k, (c, dt) in enumerate(zip(sizes, dts, strict=True))}
        for _ in range(3)
    ]
    _run(rng, tmp_path, _concat(sizes, simd, dts), frames, 100)


@pytest.mark.parametrize("num, pe, ready", [(2, 1, 100), (3, 2, 100), (4, 4, 100), (3, 1, 50)])
def test_replicate_rtl(rng, tmp_path, num, pe, ready):
    frames = [{"x": random_ints(rng, "INT4", (1, T, 32))} for _ in range(3)]
    _run(rng, tmp_path, _replicate(num, pe), frames, ready)


@pytest.mark.parametrize(
    "model, what",
    [
        (lambda: _split((8,) * 5, 1), "5 slices"),
        (lambda: _replicate(5, 1), "5 copies"),
        (lambda: _concat((8,) * 5, 1, ["INT8"] * 5), "5 slices"),
    ],
)
def test_refuses_more_than_four_streams(model, what):
    with pytest.raises(KernelParameterError, match=f"{what}.*layer .*_rtl_0"):
        specialize_and_generate(model())
