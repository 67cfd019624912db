"""Log2Quant (torch) equals the NumPy reference of hls/log2quant bit for bit; the reference is
round(-log2 p) / round(-2 log2 p) exactly (and equals the RTL's mantissa comparison); gradients pass
straight through; scales, values and widths the kernel cannot take are refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hwcodesign.hls.log2quant.reference import SQRT2, dequantize, log2_quant, mantissa_thresholds

from hwcodesign.errors import KernelParameterError
from hwcodesign.kernels.log2quant import Log2Quant


def _exact(y: int, wi: int, wo: int, mode: int) -> int:
    """round(-(1 + mode) * log2(y / 2**wi)) with Python integers only: the code whose half-way
    points 2**(-(c + 1/2) / (1 + mode)) bracket y, found by comparing y**(2 * (1 + mode)) exactly."""
    if y == 0:
        return (1 << wo) - 1
    r = 2 * (1 + mode)  # compare y**r with 2**(r*wi - (2c + 1)): y < 2**(wi - (c + 1/2)/(1 + mode))
    c = 0
    while r * wi >= 2 * c + 1 and y**r < 1 << (r * wi - (2 * c + 1)):
        c += 1
    return min(c, (1 << wo) - 1)


def _mantissa(y: int, wi: int, wo: int, mode: int) -> int:
    """The RTL's method: leading one, normalised mantissa, comparisons with the constants."""
    if y == 0:
        return (1 << wo) - 1
    k = y.bit_length() - 1
    m = y << (wi - 1 - k)
    c1, c2, c3 = mantissa_thresholds(wi)
    q = (wi - k) - (m > c2) if mode == 0 else 2 * (wi - k) - (m > c1) - (m > c3)
    return min(q, (1 << wo) - 1)


@pytest.mark.parametrize("wi", [1, 4, 8, 11])
@pytest.mark.parametrize("mode", [0, 1])
def test_reference_is_exact_rounding_and_the_rtl_method(wi, mode):
    y = np.arange(1 << wi)
    got = log2_quant(y, wi, 8, mode).tolist()
    assert got == [_exact(int(v), wi, 8, mode) for v in y]
    assert got == [_mantissa(int(v), wi, 8, mode) for v in y]
    floats = np.round(-(1 + mode) * np.log2(np.maximum(y, 1) / 2.0**wi)).astype(int)
    assert got[1:] == floats[1:].tolist()


@pytest.mark.parametrize("mode", [0, 1])
def test_wide_inputs_match_the_rtl_method(rng, mode):
    for wi in (16, 24, 31):
        y = np.concatenate([[0, 1, (1 << wi) - 1], 1 << np.arange(wi), rng.integers(0, 1 << wi, 3000)])
        assert log2_quant(y, wi, 8, mode).tolist() == [_mantissa(int(v), wi, 8, mode) for v in y]


def test_dequantize():
    q = np.arange(20)
    assert dequantize(q, 0, 8).tolist() == [256 >> i for i in range(9)] + [0] * 11
    got = dequantize(q, 1, 12)
    want = 2.0 ** (12 - q / 2)
    assert (got <= want + 1e-9).all() and (want - got < 1 + want * 3e-6).all()
    assert dequantize(np.array([1]), 1, 16)[0] == SQRT2 >> 1  # sqrt(2) / 2


@pytest.mark.parametrize("wi, wo, mode, f", [(8, 4, 0, None), (8, 4, 1, None), (12, 5, 1, 10), (6, 3, 0, 2)])
def test_matches_reference(rng, wi, wo, mode, f):
    y = np.arange(1 << wi)
    mod = Log2Quant(wo, mode, out_frac_bits=f)
    out = mod(torch.tensor(y * 2.0**-wi, dtype=torch.float32), 2.0**-wi).detach().double().numpy()
    fd = wi if f is None else f
    expected = dequantize(log2_quant(y, wi, wo, mode), mode, fd)
    bad = np.flatnonzero(out * 2.0**fd != expected)
    assert bad.size == 0, f"{bad.size} of {y.size} differ; first (y, got, expected): " + str(
        [(int(y[i]), out[i] * 2.0**fd, int(expected[i])) for i in bad[:5]]
    )
    assert mod.integer_params(torch.tensor(2.0**-wi)) == {"WI": wi, "WO": wo, "MODE": mode, "frac_bits": fd}


def test_straight_through_gradient():
    p = torch.tensor(np.arange(256) / 256.0, requires_grad=True)
    (Log2Quant(4, 1)(p, 1 / 256) * torch.arange(256.0)).sum().backward()
    assert torch.isfinite(p.grad).all() and torch.equal(p.grad, torch.arange(256.0, dtype=p.dtype))
    assert math.isclose(float(Log2Quant(4, 0)(torch.tensor([0.5]), 1 / 256)[0]), 0.5)


def test_refuses_what_the_kernel_cannot_take():
    p = torch.zeros(4)
    with pytest.raises(KernelParameterError, match="kernel log2quant: scale: .*not a power of two"):
        Log2Quant(4)(p, 0.3)
    with pytest.raises(KernelParameterError, match="kernel log2quant: p: .*not on the grid"):
        Log2Quant(4)(p + 1 / 512, 1 / 256)
    with pytest.raises(KernelParameterError, match="kernel log2quant: p: values 0..256 do not fit 8 unsign"):
        Log2Quant(4)(torch.tensor([0.0, 1.0]), 1 / 256)
    with pytest.raises(KernelParameterError, match="kernel log2quant: p: values -1..0"):
        Log2Quant(4)(torch.tensor([-1 / 256, 0.0]), 1 / 256)
    with pytest.raises(KernelParameterError, match="kernel log2quant: WO"):
        Log2Quant(9)
    with pytest.raises(KernelParameterError, match="kernel log2quant: MODE"):
        Log2Quant(4, 2)
    with pytest.raises(KernelParameterError, match="kernel log2quant: WI"):
        Log2Quant(4)(p, 1.0)  # a scale of 1: no fraction bits
    with pytest.raises(KernelParameterError, match="kernel log2quant: frac_bits"):
        Log2Quant(4, out_frac_bits=41)(p, 1 / 256)
