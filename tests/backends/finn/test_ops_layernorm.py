"""IntLayerNorm(_rtl): Python semantics == hls/layernorm's reference; SpecializeLayers/PrepareIP
give the RTL layer; Verilator == Python semantics bit for bit; cycles == get_exp_cycles()."""

import numpy as np
import pytest

pytest.importorskip("finn")

from hwcodesign.hls.layernorm.reference import i_layernorm  # noqa: E402
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

T, C = 16, 32  # tokens, channels (tiny ViT)


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    from hwcodesign.backends.finn.ops import register_ops

    with finn_session(tmp_path / "finn_build"):
        register_ops()
        yield


def _model(rng, pe: int, affine: bool, idt: str = "INT8", **attrs):
    inputs = ["x", "gamma", "beta"] if affine else ["x"]
    node = hw_node(
        "IntLayerNorm",
        inputs,
        ["y"],
        NumChannels=C,
        PE=pe,
        numInputVectors=[1, T],
        inputDataType=idt,
        outputDataType="INT8",
        out_frac_bits=5,
        guard_bits=4,
        affine=int(affine),
        **attrs,
    )
    tensors = {"x": ((1, T, C), idt), "y": ((1, T, C), "INT8")}
    inits = {}
    if affine:
        gamma = rng.integers(-128, 128, size=C)
        gamma[:3] = [-128, 127, 64]  # extremes and 1.0 (FG = 6)
        inits = {"gamma": gamma, "beta": rng.integers(-128, 128, size=C)}
        tensors.update(gamma=((C,), "INT8"), beta=((C,), "INT8"))
    return one_node_model(node, tensors, inits), inits


def _frames(rng, n: int, idt: str = "INT8") -> list[dict]:
    frames = [{"x": random_ints(rng, idt, (1, T, C))} for _ in range(n)]
    frames[0]["x"][0, 3] = 5  # a row of equal elements: sigma 0
    return frames


@pytest.mark.parametrize("affine", [False, True])
def test_python_semantics_is_the_reference(rng, affine):
    from hwcodesign.backends.finn.rtlsim import run_graph

    model, inits = _model(rng, 2, affine)
    x = _frames(rng, 1)[0]["x"]
    y = run_graph(model, {"x": x})["y"]
    expected = i_layernorm(x, 8, 8, 5, 4, None, inits.get("gamma"), inits.get("beta"), 6)
    assert y.dtype == np.float32 and np.array_equal(y, expected), np.argwhere(y != expected)[:5]


@pytest.mark.parametrize("pe, affine", [(1, True), (2, False)])
def test_rtl_bit_exact_and_cycles(rng, tmp_path, pe, affine):
    from qonnx.custom_op.registry import getCustomOp

    model, _ = _model(rng, pe, affine)
    model, node = specialize_and_generate(model)
    inst = getCustomOp(node)
    # README: max(C/P, T_A = 7 (C a power of two), T_B = WI + G + 2, T_C = K + 4 = 21) per row
    assert inst.get_exp_cycles() == T * max(C // pe, 7, 14, 21)
    if affine:
        gen = inst.get_nodeattr("code_gen_dir_ipgen")
        assert any(f"{node.name}_gamma.dat" in c for c in inst.code_generation_ipi()), gen
    row = simulate(model, node, _frames(rng, 4), tmp_path / "sim")
    assert_bit_exact(row, 4)
    assert_cycles(row, inst.get_exp_cycles())


def test_unsigned_input_is_widened(rng, tmp_path):
    """A UINT input becomes a WI + 1 bit signed kernel input (zero-extended in the wrapper)."""
    model, _ = _model(rng, 2, False, idt="UINT4")
    model, node = specialize_and_generate(model)
    assert_bit_exact(simulate(model, node, _frames(rng, 2, "UINT4"), tmp_path / "sim"), 2)


def test_refuses_what_the_kernel_cannot_do(rng):
    model, _ = _model(rng, 1, False, recip_bits=6)  # K < G + FO
    with pytest.raises(KernelParameterError, match="K=6.*layer IntLayerNorm_rtl_0"):
        specialize_and_generate(model)


def test_a_wrong_reference_is_caught(rng, tmp_path):
    """The comparison is not vacuous: one element off in the reference fails the frame."""
    from hwcodesign.backends.finn.rtlsim import run_graph, simulate_layer

    model, _ = _model(rng, 2, False)
    model, node = specialize_and_generate(model)
    contexts = [run_graph(model, f) for f in _frames(rng, 2)]
    contexts[1]["y"][0, 5, 7] += 1
    row = simulate_layer(model, node, contexts, tmp_path / "sim")
    assert row["frames_exact"] == 1 and "frame 1 output 0: 1 of 512 elements differ" in row["status"], row
