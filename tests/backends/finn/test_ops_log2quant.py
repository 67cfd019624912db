"""IntLog2Quant(_rtl): Python semantics == hls/log2quant's reference; SpecializeLayers/PrepareIP
give the RTL layer; Verilator == Python semantics bit for bit on softmax outputs (16 x 16, every
8-bit value present); cycles == get_exp_cycles() (one beat a cycle)."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.log2quant.reference import log2_quant  # noqa: E402
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


def _model(pe: int, mode: int, idt: str = "UINT8", odt: str = "UINT4"):
    node = hw_node(
        "IntLog2Quant",
        ["p"],
        ["q"],
        NumChannels=T,
        PE=pe,
        numInputVectors=[1, T],
        inputDataType=idt,
        outputDataType=odt,
        mode=mode,
    )
    return one_node_model(node, {"p": ((1, T, T), idt), "q": ((1, T, T), odt)})


def _frames(rng, n):
    every = np.arange(256, dtype=np.float32).reshape(1, T, T)  # every 8-bit value once
    return [{"p": every}] + [{"p": random_ints(rng, "UINT8", (1, T, T))} for _ in range(n - 1)]


@pytest.mark.parametrize("mode", [0, 1])
def test_python_semantics_is_the_reference(mode):
    from hwcodesign.backends.finn.rtlsim import run_graph

    p = np.arange(256, dtype=np.float32).reshape(1, T, T)
    q = run_graph(_model(1, mode), {"p": p})["q"]
    assert np.array_equal(q, log2_quant(p, 8, 4, mode))


@pytest.mark.parametrize("pe, mode", [(1, 1), (4, 0), (2, 1)])
def test_rtl_bit_exact_and_cycles(rng, tmp_path, pe, mode):
    from qonnx.custom_op.registry import getCustomOp

    model, node = specialize_and_generate(_model(pe, mode))
    inst = getCustomOp(node)
    assert inst.get_exp_cycles() == T * T // pe
    row = simulate(model, node, _frames(rng, 3), tmp_path / "sim")
    assert_bit_exact(row, 3)
    assert_cycles(row, inst.get_exp_cycles())


def test_refuses_a_signed_input():
    with pytest.raises(KernelParameterError, match="signed.*IntLog2Quant_rtl_0"):
        specialize_and_generate(_model(1, 0, idt="INT8"))
