"""IntAdd(_rtl): Python semantics == hls/requant_add's reference; SpecializeLayers/PrepareIP give
the RTL layer; Verilator == Python semantics bit for bit (a second stream, or a constant rhs
from the wrapper's ROM); cycles == get_exp_cycles()."""

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.requant_add.reference import po2_params, requant_add  # noqa: E402
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

T, C = 16, 32
MA, MB, S = po2_params(4, 5, 4)  # lhs 2**-4, rhs 2**-5, output 2**-4


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _model(
    rng, pe: int, rhs: str = "stream", lhs_dt: str = "INT8", rhs_dt: str = "INT8", out_dt: str = "INT8"
):
    """rhs: "stream", "pos" (constant [T, C]) or "bias" (constant [C])."""
    const = {"pos": (T, C), "bias": (C,)}.get(rhs)
    attrs = {"rhs_style": "const", "rhs_shape": list(const)} if const else {}
    node = hw_node(
        "IntAdd",
        ["a", "b"],
        ["y"],
        NumChannels=C,
        PE=pe,
        numInputVectors=[1, T],
        lhsDataType=lhs_dt,
        rhsDataType=rhs_dt,
        outputDataType=out_dt,
        MA=MA,
        MB=MB,
        shift=S,
        **attrs,
    )
    tensors = {"a": ((1, T, C), lhs_dt), "b": (const or (1, T, C), rhs_dt), "y": ((1, T, C), out_dt)}
    inits = {"b": random_ints(rng, rhs_dt, const)} if const else {}
    return one_node_model(node, tensors, inits)


def _frames(rng, n: int, rhs: str, lhs_dt: str = "INT8", rhs_dt: str = "INT8") -> list[dict]:
    frames = []
    for _ in range(n):
        f = {"a": random_ints(rng, lhs_dt, (1, T, C))}
        if rhs == "stream":
            f["b"] = random_ints(rng, rhs_dt, (1, T, C))
        frames.append(f)
    return frames


@pytest.mark.parametrize("rhs", ["stream", "pos", "bias"])
def test_python_semantics_is_the_reference(rng, rhs):
    from hwcodesign.backends.finn.rtlsim import run_graph

    model = _model(rng, 1, rhs)
    frame = _frames(rng, 1, rhs)[0]
    ctx = run_graph(model, frame)
    b = np.broadcast_to(ctx["b"], (1, T, C))
    expected = requant_add(frame["a"], b, MA, MB, S, 8)
    assert np.array_equal(ctx["y"], expected)
    assert (expected == 127).any() and (expected == -128).any(), "saturation not exercised"


@pytest.mark.parametrize(
    "pe, rhs, lhs_dt",
    [(1, "stream", "INT8"), (4, "stream", "UINT4"), (2, "pos", "INT8"), (4, "bias", "INT8")],
)
def test_rtl_bit_exact_and_cycles(rng, tmp_path, pe, rhs, lhs_dt):
    from qonnx.custom_op.registry import getCustomOp

    model, node = specialize_and_generate(_model(rng, pe, rhs, lhs_dt=lhs_dt))
    inst = getCustomOp(node)
    text = Path(inst.get_rtl_file_list(abspath=True)[-1]).read_text()
    assert ("in1_V_TDATA" in text) == (rhs == "stream") and ("hwcd_const_stream" in text) == (rhs != "stream")
    assert inst.get_exp_cycles() == T * C // pe  # one beat a cycle
    row = simulate(model, node, _frames(rng, 4, rhs, lhs_dt), tmp_path / "sim")
    assert_bit_exact(row, 4)
    assert_cycles(row, inst.get_exp_cycles())


def test_refuses_a_constant_that_is_not_rows(rng):
    model = _model(rng, 1, "pos")
    from qonnx.custom_op.registry import getCustomOp

    getCustomOp(model.graph.node[0]).set_nodeattr("rhs_shape", [T, 1])
    model.set_initializer("b", np.zeros((T, 1), np.float32))
    with pytest.raises(KernelParameterError, match="does not end the lhs shape.*IntAdd_rtl_0"):
        specialize_and_generate(model)
