"""IntGELU(_rtl): Python semantics == hls/gelu's reference; SpecializeLayers/PrepareIP give the
RTL layer; Verilator == Python semantics bit for bit on MLP activations (16 tokens x 64);
cycles == get_exp_cycles() (fully pipelined: one beat a cycle)."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.gelu.reference import shift_gelu  # noqa: E402
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

T, C = 16, 64


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _model(pe: int, idt: str = "INT8", odt: str = "INT8", fo: int = 4):
    node = hw_node(
        "IntGELU",
        ["x"],
        ["y"],
        NumChannels=C,
        PE=pe,
        numInputVectors=[1, T],
        inputDataType=idt,
        outputDataType=odt,
        in_frac_bits=4,
        out_frac_bits=fo,
    )
    return one_node_model(node, {"x": ((1, T, C), idt), "y": ((1, T, C), odt)})


def test_python_semantics_is_the_reference(rng):
    from hwcodesign.backends.finn.rtlsim import run_graph

    x = random_ints(rng, "INT8", (1, T, C))
    y = run_graph(_model(1), {"x": x})["y"]
    assert np.array_equal(y, shift_gelu(x, 4, 8, 4, 4, 8, 8))


@pytest.mark.parametrize(
    "pe, idt, odt, fo", [(1, "INT8", "INT8", 4), (4, "INT8", "INT6", 2), (2, "UINT4", "INT8", 5)]
)
def test_rtl_bit_exact_and_cycles(rng, tmp_path, pe, idt, odt, fo):
    from qonnx.custom_op.registry import getCustomOp

    model, node = specialize_and_generate(_model(pe, idt, odt, fo))
    inst = getCustomOp(node)
    assert inst.get_exp_cycles() == T * C // pe
    frames = [{"x": random_ints(rng, idt, (1, T, C))} for _ in range(3)]
    row = simulate(model, node, frames, tmp_path / "sim")
    assert_bit_exact(row, 3)
    assert_cycles(row, inst.get_exp_cycles())
