"""IntShiftmax(_rtl): Python semantics == hls/shiftmax's reference; SpecializeLayers/PrepareIP give
the RTL layer; Verilator == Python semantics bit for bit on attention-score rows (16 tokens, 2
heads); cycles == get_exp_cycles() (README: max(N/P, WO + ceil(log2 N) + 2) per row)."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.shiftmax.reference import shiftmax  # noqa: E402
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

T = 16  # tokens: rows of N = T scores


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _model(pe: int, vecs=(1, T), idt: str = "INT8", odt: str = "UINT8", fi: int = 4):
    node = hw_node(
        "IntShiftmax",
        ["s"],
        ["a"],
        NumChannels=T,
        PE=pe,
        numInputVectors=list(vecs),
        inputDataType=idt,
        outputDataType=odt,
        in_frac_bits=fi,
        extra_bits=4,
    )
    return one_node_model(node, {"s": ((*vecs, T), idt), "a": ((*vecs, T), odt)})


def _frames(rng, n, vecs=(1, T), idt="INT8"):
    from qonnx.core.datatype import DataType

    frames = [{"s": random_ints(rng, idt, (*vecs, T))} for _ in range(n)]
    frames[0]["s"][..., 0, :] = 3  # a row of equal scores
    frames[0]["s"][..., 1, :] = DataType[idt].min()  # one element far above the rest:
    frames[0]["s"][..., 1, 5] = DataType[idt].max()  # y saturates to 2**WO - 1 (INT8)
    return frames


def test_python_semantics_is_the_reference(rng):
    from hwcodesign.backends.finn.rtlsim import run_graph

    f = _frames(rng, 1)[0]
    a = run_graph(_model(1), f)["a"]
    assert np.array_equal(a, shiftmax(f["s"], 4, 8, 4, 8))
    assert a.max() == 255 and a.min() == 0


@pytest.mark.parametrize("pe, vecs, idt", [(1, (1, T), "INT8"), (4, (1, 2, T), "INT8"), (2, (1, T), "UINT6")])
def test_rtl_bit_exact_and_cycles(rng, tmp_path, pe, vecs, idt):
    from qonnx.custom_op.registry import getCustomOp

    model, node = specialize_and_generate(_model(pe, vecs, idt))
    inst = getCustomOp(node)
    rows = int(np.prod(vecs))
    assert inst.get_exp_cycles() == rows * max(T // pe, 8 + 4 + 2)  # WO + L + 2 = 14
    row = simulate(model, node, _frames(rng, 4, vecs, idt), tmp_path / "sim")
    assert_bit_exact(row, 4)
    assert_cycles(row, inst.get_exp_cycles())


def test_refuses_what_the_kernel_cannot_do():
    with pytest.raises(KernelParameterError, match="FI.*IntShiftmax_rtl_0"):
        specialize_and_generate(_model(1, fi=30))
