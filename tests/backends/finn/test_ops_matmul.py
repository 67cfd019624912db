"""ActMatMul(_rtl): Python semantics == hls/stream_matmul's reference; SpecializeLayers/PrepareIP
give the RTL layer; Verilator == Python semantics bit for bit for Q.K^T and A.V of a tiny-ViT
head (16 tokens, head size 16); cycles == get_exp_cycles() = M*N*D/PE."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.stream_matmul.reference import stream_matmul  # noqa: E402
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

TOKENS, HEAD = 16, 16


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _model(pe: int, transpose_b: bool, a_dt: str, b_dt: str, out_dt: str):
    """Q.K^T (transpose_b: A = Q [T, d], B = K [T, d]) or A.V (A = probabilities [T, T], B = V [T, d])."""
    m, d, n = (TOKENS, HEAD, TOKENS) if transpose_b else (TOKENS, TOKENS, HEAD)
    node = hw_node(
        "ActMatMul",
        ["a", "b"],
        ["c"],
        M=m,
        D=d,
        N=n,
        PE=pe,
        transpose_b=int(transpose_b),
        ADataType=a_dt,
        BDataType=b_dt,
        outputDataType=out_dt,
    )
    b_shape = (1, n, d) if transpose_b else (1, d, n)
    tensors = {"a": ((1, m, d), a_dt), "b": (b_shape, b_dt), "c": ((1, m, n), out_dt)}
    return one_node_model(node, tensors), (1, m, d), b_shape


CASES = [  # pe, transpose_b, A type, B type, output type (WA + WB + log2 D bits)
    (1, True, "INT8", "INT8", "INT20"),
    (4, True, "INT4", "INT4", "INT12"),
    (2, False, "UINT4", "INT8", "INT16"),
    (4, False, "UINT8", "UINT4", "INT17"),
]


def _frames(rng, n, a_shape, b_shape, a_dt, b_dt):
    frames = [{"a": random_ints(rng, a_dt, a_shape), "b": random_ints(rng, b_dt, b_shape)} for _ in range(n)]
    ext_a = -(2.0 ** (int(a_dt[3:]) - 1)) if a_dt.startswith("INT") else 2.0 ** int(a_dt[4:]) - 1
    ext_b = -(2.0 ** (int(b_dt[3:]) - 1)) if b_dt.startswith("INT") else 2.0 ** int(b_dt[4:]) - 1
    frames[0]["a"][:], frames[0]["b"][:] = ext_a, ext_b  # the largest sums
    return frames


@pytest.mark.parametrize("case", CASES[:3])
def test_python_semantics_is_the_reference(rng, case):
    from hwcodesign.backends.finn.rtlsim import run_graph

    pe, tb, a_dt, b_dt, out_dt = case
    model, a_shape, b_shape = _model(pe, tb, a_dt, b_dt, out_dt)
    f = _frames(rng, 1, a_shape, b_shape, a_dt, b_dt)[0]
    c = run_graph(model, f)["c"]
    assert np.array_equal(c, stream_matmul(f["a"], f["b"], transpose_b=tb))


@pytest.mark.parametrize("case", CASES)
def test_rtl_bit_exact_and_cycles(rng, tmp_path, case):
    from qonnx.custom_op.registry import getCustomOp

    pe, tb, a_dt, b_dt, out_dt = case
    model, a_shape, b_shape = _model(pe, tb, a_dt, b_dt, out_dt)
    model, node = specialize_and_generate(model)
    inst = getCustomOp(node)
    assert inst.verify_node() == []
    assert inst.get_exp_cycles() == 16 * 16 * 16 // pe
    row = simulate(model, node, _frames(rng, 3, a_shape, b_shape, a_dt, b_dt), tmp_path / "sim")
    assert_bit_exact(row, 3)
    assert_cycles(row, inst.get_exp_cycles())


def test_verify_names_a_too_narrow_output(rng):
    from qonnx.custom_op.registry import getCustomOp

    model, _, _ = _model(1, True, "INT8", "INT8", "INT16")
    assert "needs >= 20 signed bits" in getCustomOp(model.graph.node[0]).verify_node()[0]
