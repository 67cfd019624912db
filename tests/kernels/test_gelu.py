"""ShiftGELU (torch) equals the NumPy reference of hls/gelu bit for bit, has finite non-zero
gradients, and refuses scales, values and widths the kernel cannot take."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hwcodesign.hls.gelu.reference import check_params, shift_gelu, sigmoid

from hwcodesign.errors import KernelParameterError
from hwcodesign.kernels.gelu import ShiftGELU


def _inputs(rng: np.random.Generator, wi: int) -> np.ndarray:
    """Every value for narrow inputs, the extremes and random values for wide ones."""
    lo, hi = -(1 << (wi - 1)), (1 << (wi - 1)) - 1
    if wi <= 12:
        return np.arange(lo, hi + 1)
    return np.concatenate([[lo, hi, 0, -1, 1], rng.integers(lo, hi + 1, size=20000)])


@pytest.mark.parametrize(
    "wi, f, wo, fo, eb, sb",
    [
        (8, 4, 8, 4, 4, 8),  # the synthesised configuration
        (8, 5, 8, 3, 4, 8),  # output scaled down
        (12, 8, 10, 6, 4, 10),
        (16, 12, 8, 2, 6, 12),  # heavy saturation, random inputs
        (6, 2, 16, 14, 3, 6),  # left shift: SB + FI - FO = -6
        (8, 0, 12, 4, 1, 8),  # FI = 0, EB = 1
        (6, -1, 8, 0, 4, 8),  # a scale of 2: shifted left onto FI = 0, WI = 7
    ],
)
def test_matches_reference(rng, wi, f, wo, fo, eb, sb):
    x = _inputs(rng, wi)
    mod = ShiftGELU(wo, fo, eb, sb, in_bits=wi)
    y = mod(torch.tensor(x * 2.0**-f, dtype=torch.float32), 2.0**-f).detach().double().numpy() * 2.0**fo
    par = mod.integer_params(2.0**-f)
    expected = shift_gelu(x << par["in_shift"], par["FI"], wo, fo, eb, sb, par["WI"])
    bad = np.flatnonzero(y != expected)
    assert bad.size == 0, f"{bad.size} of {y.size} differ; first (x, got, expected): " + str(
        [(int(x[i]), y[i], int(expected[i])) for i in bad[:5]]
    )
    assert par == {
        "WI": wi + max(0, -f),
        "FI": max(0, f),
        "WO": wo,
        "FO": fo,
        "EB": eb,
        "SB": sb,
        "in_shift": max(0, -f),
    }


def test_reference_is_close_to_gelu():
    x = np.arange(-128, 128)
    y = shift_gelu(x, 4, 12, 8, WI=8) / 256
    exact = np.array([v / 16 * 0.5 * (1 + math.erf(v / 16 / math.sqrt(2))) for v in x])
    assert np.abs(y - exact).max() < 0.1
    s = sigmoid(np.array([0, 1 << 10, -(1 << 10)]), 4)
    assert s.tolist() == [128, 256, 0]  # 1/2 at 0, saturated far out


def test_straight_through_gradient(rng):
    x = torch.tensor(rng.integers(-128, 128, size=64) / 16.0, requires_grad=True)
    ShiftGELU(8, 4)(x, 1 / 16).sum().backward()
    assert torch.isfinite(x.grad).all() and (x.grad != 0).any()
    ref = torch.autograd.grad(torch.nn.functional.gelu(x).sum(), x)[0]
    assert torch.allclose(x.grad, ref)


def test_refuses_what_the_kernel_cannot_take():
    x = torch.zeros(8)
    with pytest.raises(KernelParameterError, match="kernel gelu: scale: .*not a power of two"):
        ShiftGELU(8, 4)(x, 0.1)
    with pytest.raises(KernelParameterError, match="kernel gelu: x: .*not on the grid"):
        ShiftGELU(8, 4)(x + 0.01, 1 / 16)
    with pytest.raises(KernelParameterError, match="kernel gelu: x: values -129..0 do not fit 8 signed"):
        ShiftGELU(8, 4)(torch.tensor([-129 / 16, 0.0]), 1 / 16)
    with pytest.raises(KernelParameterError, match="kernel gelu: WO"):
        ShiftGELU(1, 0)
    with pytest.raises(KernelParameterError, match="kernel gelu: SB"):
        ShiftGELU(8, 4, sigmoid_bits=0)
    with pytest.raises(KernelParameterError, match="kernel gelu: FO"):
        ShiftGELU(8, 48, sigmoid_bits=8, in_bits=32)  # x * sig << 36 overflows 64 bits
    with pytest.raises(KernelParameterError, match="kernel gelu: FI"):
        ShiftGELU(8, 4)(x, 2.0**-30)
    with pytest.raises(KernelParameterError, match="kernel gelu: P"):
        check_params(0, 8, 4, 8, 4)
