"""RequantAdd (torch) equals the NumPy reference of hls/requant_add bit for bit, has straight-through
gradients, and refuses scales, values and widths the kernel cannot take."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hwcodesign.hls.requant_add.reference import check_params, po2_params, requant_add

from hwcodesign.errors import KernelParameterError
from hwcodesign.kernels.requant_add import RequantAdd


def _ints(rng: np.random.Generator, bits: int, n: int) -> np.ndarray:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    x = rng.integers(lo, hi + 1, size=n)
    x[:5] = [lo, hi, 0, -1, 1]
    return x


@pytest.mark.parametrize(
    "wa, wb, wo, fa, fb, fo",
    [
        (8, 8, 8, 4, 6, 5),  # shift 1, rounding and saturation
        (8, 12, 9, 3, 9, 2),  # shift 7
        (8, 8, 8, 2, 6, 8),  # F < FO: scaled up, S = 0
        (16, 8, 10, -2, 3, 0),  # a scale of 4 (negative fraction bits)
        (4, 4, 4, 0, 0, 0),  # plain saturating add
    ],
)
def test_matches_reference(rng, wa, wb, wo, fa, fb, fo):
    a = _ints(rng, wa, 4000)
    b = _ints(rng, wb, 4000)[::-1].copy()
    mod = RequantAdd(wo, fo, a_bits=wa, b_bits=wb)
    ta = torch.tensor(a * 2.0**-fa, dtype=torch.float32)
    tb = torch.tensor(b * 2.0**-fb, dtype=torch.float32)
    y = mod(ta, 2.0**-fa, tb, torch.tensor(2.0**-fb)).detach().double().numpy() * 2.0**fo
    ma, mb, s = po2_params(fa, fb, fo)
    expected = requant_add(a, b, ma, mb, s, wo)
    bad = np.flatnonzero(y != expected)
    assert bad.size == 0, f"{bad.size} of {y.size} differ; first (a, b, got, expected): " + str(
        [(int(a[i]), int(b[i]), y[i], int(expected[i])) for i in bad[:5]]
    )
    assert mod.integer_params(2.0**-fa, 2.0**-fb) == {
        "WA": wa,
        "WB": wb,
        "WO": wo,
        "MA": ma,
        "MB": mb,
        "S": s,
    }


def test_po2_params():
    assert po2_params(4, 6, 5) == (4, 1, 1)
    assert po2_params(2, 6, 8) == (64, 4, 0)
    assert po2_params(3, 3, 3) == (1, 1, 0)


def test_reference_rounds_half_up_and_saturates():
    # (a*1 + b*1 + 1) >> 1 with S = 1: 1/2 -> 1, -1/2 -> 0, -3/2 -> -1
    assert requant_add(np.array([1, -1, -3]), np.array([0, 0, 0]), 1, 1, 1, 8).tolist() == [1, 0, -1]
    assert requant_add(np.array([127, -128]), np.array([127, -128]), 1, 1, 0, 8).tolist() == [127, -128]


def test_straight_through_gradient():
    mod = RequantAdd(8, 4)
    a = torch.tensor([0.5, -1.25, 3.0], requires_grad=True)
    b = torch.tensor([0.25, 2.0, -7.5], requires_grad=True)
    (mod(a, 2.0**-4, b, 2.0**-2) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    for g in (a.grad, b.grad):
        assert torch.isfinite(g).all() and torch.equal(g, torch.tensor([1.0, 2.0, 3.0]))


def test_refuses_non_po2_scale():
    mod = RequantAdd(8, 4)
    x = torch.zeros(3)
    with pytest.raises(KernelParameterError, match="requant_add: scale_b: .*not a power of two"):
        mod(x, 0.25, x, 0.3)
    with pytest.raises(KernelParameterError, match="requant_add: scale_a: .*not a positive"):
        mod(x, 0.0, x, 0.25)


def test_refuses_off_grid_and_too_wide_values():
    mod = RequantAdd(8, 4, a_bits=8, b_bits=6)
    with pytest.raises(KernelParameterError, match="requant_add: a: value 0.3.* not on the grid"):
        mod(torch.tensor([0.3]), 2.0**-4, torch.zeros(1), 2.0**-4)
    with pytest.raises(KernelParameterError, match="requant_add: b: values .* do not fit 6 signed bits"):
        mod(torch.zeros(1), 2.0**-4, torch.tensor([2.0]), 2.0**-4)  # 32 > 31
    with pytest.raises(KernelParameterError, match="requant_add: b: shape"):
        mod(torch.zeros(2), 2.0**-4, torch.zeros(3), 2.0**-4)


def test_refuses_bad_widths_and_params():
    with pytest.raises(KernelParameterError, match="requant_add: WO: width 1"):
        RequantAdd(1, 0)
    with pytest.raises(KernelParameterError, match="requant_add: WA: width 40"):
        RequantAdd(8, 0, a_bits=40)
    with pytest.raises(KernelParameterError, match="requant_add: MA: multiplier"):
        RequantAdd(8, 0).integer_params(2.0**10, 2.0**-30)  # scales 2**40 apart
    with pytest.raises(KernelParameterError, match="requant_add: S: shift 31"):
        check_params(8, 8, 8, 1, 1, 31)
    with pytest.raises(KernelParameterError, match="requant_add: P"):
        check_params(8, 8, 8, 1, 1, 0, p=0)
