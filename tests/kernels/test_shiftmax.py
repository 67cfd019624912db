"""Shiftmax (torch) equals the NumPy reference of hls/shiftmax bit for bit, has finite non-zero
gradients, and refuses scales, values and widths the kernel cannot take."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hwcodesign.hls.shiftmax.reference import check_params, shift_exp, shiftmax

from hwcodesign.errors import KernelParameterError
from hwcodesign.kernels.shiftmax import Shiftmax
from hwcodesign.kernels.shiftmax import shift_exp as torch_shift_exp


def _rows(rng: np.random.Generator, count: int, n: int, wi: int) -> np.ndarray:
    """Corner rows (extremes, all equal, one-hot, ties, a ramp), then random wide and narrow rows."""
    lo, hi = -(1 << (wi - 1)), (1 << (wi - 1)) - 1
    j = np.arange(n)
    corner = [
        np.full(n, lo),
        np.full(n, hi),
        np.zeros(n, dtype=np.int64),
        np.where(j == 0, hi, lo),
        np.where(j == n - 1, 0, lo),
        np.where(j < 2, hi, lo),
        np.linspace(lo, hi, n).astype(np.int64),
    ]
    wide = rng.integers(lo, hi + 1, size=(count // 2, n))
    top = rng.integers(lo, hi + 1, size=(count - count // 2, 1))
    narrow = np.clip(top - rng.integers(0, 9, (1, n)), lo, hi)
    return np.concatenate([np.stack(corner), wide, narrow]).astype(np.int64)


@pytest.mark.parametrize(
    "n, wi, f, wo, eb",
    [
        (16, 8, 4, 8, 4),  # the synthesised configuration's widths
        (64, 8, 3, 8, 4),
        (197, 8, 5, 8, 4),  # N not a power of two
        (10, 12, 8, 12, 6),  # wide input and output
        (8, 6, 0, 4, 1),  # FI = 0, EB = 1
        (8, 4, -2, 6, 2),  # a scale of 4: shifted left onto FI = 0, WI = 6
    ],
)
def test_matches_reference(rng, n, wi, f, wo, eb):
    x = _rows(rng, 300, n, wi)
    mod = Shiftmax(wo, eb, in_bits=wi)
    y = mod(torch.tensor(x * 2.0**-f, dtype=torch.float32), 2.0**-f).detach().double().numpy() * 2.0**wo
    par = mod.integer_params(2.0**-f, n)
    expected = shiftmax(x << par["in_shift"], par["FI"], wo, eb, par["WI"])
    bad = np.argwhere(y != expected)
    assert bad.size == 0, f"{len(bad)} of {y.size} differ; first (row, j, got, expected): " + str(
        [(int(r), int(c), y[r, c], int(expected[r, c])) for r, c in bad[:5]]
    )
    assert par == {"N": n, "WI": wi + max(0, -f), "FI": max(0, f), "WO": wo, "EB": eb, "in_shift": max(0, -f)}


def test_softmax_over_another_dim_and_a_tensor_scale(rng):
    x = rng.integers(-128, 128, size=(3, 16, 5))
    mod = Shiftmax(8, dim=1)
    y = mod(torch.tensor(x / 16.0), torch.tensor(1 / 16.0)).numpy() * 256
    expected = np.moveaxis(shiftmax(np.moveaxis(x, 1, -1), 4, 8, 4, 8), -1, 1)
    assert (y == expected).all()


def test_shift_exp_torch_equals_reference():
    v = np.arange(-5000, 1)
    for fi, eb in [(0, 1), (3, 4), (8, 2), (12, 6)]:
        got = torch_shift_exp(torch.tensor(v), fi, eb).numpy()
        assert (got == shift_exp(v, fi, eb)).all()
        assert shift_exp(np.array([0]), fi, eb)[0] == 1 << (fi + eb)


def test_reference_corner_rows():
    # all equal: every e is 1.0, y = floor(2**WO / N); one-hot with the rest underflowing: saturates
    assert (shiftmax(np.full((1, 16), -7), 4, 8) == 16).all()
    assert shiftmax(np.array([[127] + [-128] * 15]), 4, 8).tolist() == [[255] + [0] * 15]
    # close to softmax on average
    x = np.random.default_rng(0).integers(-64, 64, size=(200, 32))
    p = np.exp(x / 16.0 - (x / 16.0).max(1, keepdims=True))
    err = np.abs(shiftmax(x, 4, 8) / 256 - p / p.sum(1, keepdims=True)).mean()
    assert err < 0.01, err


def test_straight_through_gradient(rng):
    x = torch.tensor(rng.integers(-128, 128, size=(4, 16)) / 16.0, requires_grad=True)
    w = torch.tensor(rng.normal(size=(4, 16)))
    (Shiftmax(8)(x, 1 / 16) * w).sum().backward()
    assert torch.isfinite(x.grad).all() and (x.grad != 0).any()
    ref = torch.autograd.grad((torch.softmax(x, -1) * w).sum(), x)[0]
    assert torch.allclose(x.grad, ref)


def test_refuses_what_the_kernel_cannot_take():
    x = torch.zeros(2, 16)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: scale: .*not a power of two"):
        Shiftmax(8)(x, 0.3)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: x: .*not on the grid"):
        Shiftmax(8)(x + 1 / 32, 1 / 16)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: x: values 0..200 do not fit 8 signed"):
        Shiftmax(8)(torch.tensor([[0.0, 200 / 16]]), 1 / 16)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: N: row length 1"):
        Shiftmax(8)(torch.zeros(3, 1), 1 / 16)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: WO"):
        Shiftmax(0)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: WI"):
        Shiftmax(8, in_bits=40)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: EB"):
        Shiftmax(8, extra_bits=-1)
    with pytest.raises(KernelParameterError, match="kernel shiftmax: EB"):
        Shiftmax(8, extra_bits=0)(x, 1.0)  # FI = 0 and EB = 0: the exponential has no fraction bit
    with pytest.raises(KernelParameterError, match="kernel shiftmax: P"):
        check_params(16, 3, 8, 4, 8, 4)
