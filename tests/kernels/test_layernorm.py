"""ILayerNorm (torch) equals the NumPy reference of hls/layernorm bit for bit, has finite non-zero
gradients (input, gamma, beta), and refuses scales, values and widths the kernel cannot take."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hwcodesign.hls.layernorm.reference import check_params, i_layernorm, isqrt, row_stats

from hwcodesign.errors import KernelParameterError
from hwcodesign.kernels.layernorm import ILayerNorm


def _rows(rng: np.random.Generator, n: int, c: int, wi: int) -> np.ndarray:
    lo, hi = -(1 << (wi - 1)), (1 << (wi - 1)) - 1
    x = rng.integers(lo, hi + 1, size=(n, c))
    spread = np.exp(rng.uniform(0, np.log(hi), size=(n, 1)))
    x[n // 2 :] = np.clip(
        np.round(rng.normal(rng.uniform(lo, hi, (n - n // 2, 1)), spread[n // 2 :])), lo, hi
    )
    x[0], x[1], x[2] = lo, hi, 0  # constant rows: sigma = 0
    x[3] = 0
    x[3, 1] = hi  # one-hot
    x[4] = np.resize([lo, hi], c)  # maximal variance
    x[5] = hi - 1
    x[5, 2] = hi  # tiny variance
    return x


@pytest.mark.parametrize(
    "c, wi, wo, fo, g, k, affine, wg, fg, wb",
    [
        (64, 8, 8, 5, 4, None, True, 8, 6, 8),
        (48, 8, 8, 5, 2, None, False, 8, 6, 8),
        (192, 8, 10, 6, 4, 22, True, 10, 8, 10),
        (16, 4, 6, 3, 0, 3, True, 4, 2, 4),
        (32, 12, 16, 8, 6, 30, True, 12, 10, 12),
    ],
)
def test_matches_reference(rng, c, wi, wo, fo, g, k, affine, wg, fg, wb):
    mod = ILayerNorm(c, wo, fo, affine, wg, fg, g, k, in_bits=wi, beta_bits=wb)
    if affine:
        with torch.no_grad():
            mod.weight.copy_(torch.tensor(rng.normal(0.5, 1.5, c)))
            mod.bias.copy_(torch.tensor(rng.normal(0, 3.0, c)))
    x = _rows(rng, 300, c, wi)
    fi = 3  # the input scale is free: it cancels
    y = mod(torch.tensor(x * 2.0**-fi, dtype=torch.float32), 2.0**-fi).detach().double().numpy() * 2.0**fo
    par = mod.integer_params()
    gamma, beta = (par["gamma"], par["beta"]) if affine else (None, None)
    expected = i_layernorm(x, wi, wo, fo, g, par["K"], gamma, beta, fg)
    bad = np.argwhere(y != expected)
    assert bad.size == 0, f"{len(bad)} of {y.size} differ; first (row, ch, got, expected): " + str(
        [(int(r), int(i), y[r, i], int(expected[r, i])) for r, i in bad[:5]]
    )
    if affine:  # the learnt floats reach the integer grid, saturated to the widths
        assert gamma.min() >= -(1 << (wg - 1)) and gamma.max() < 1 << (wg - 1) and len(set(gamma)) > 1


def test_isqrt_is_exact():
    n = np.concatenate(
        [np.arange(0, 5000), np.random.default_rng(3).integers(0, 1 << 40, 5000), [(1 << 40) - 1]]
    )
    assert (isqrt(n, 20) == np.array([math.isqrt(int(v)) for v in n])).all()


def test_reference_matches_float_layernorm():
    """With generous widths the integers approximate the float LayerNorm to about one output LSB."""
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, size=(200, 64))
    y = i_layernorm(x, 8, 16, 8, 8, 30) / 2**8
    ref = torch.nn.functional.layer_norm(torch.tensor(x, dtype=torch.float64), (64,)).numpy()
    assert np.abs(y - ref).max() < 4 / 2**8


def test_row_stats_corners():
    x = np.array([[5] * 8, [0] * 7 + [127], [-128, 127] * 4])
    mu, sigma, recip = row_stats(x, 8, 4, 18)
    assert mu.tolist() == [5, 15, -1] and sigma[0] == 0 and recip[0] == 0
    v = 4 * 127**2 + 4 * 128**2  # d = -127, 128 around mu = floor(-4 / 8) = -1
    assert sigma[2] == math.isqrt(v * 2**8 // 8) == 2040 and recip[2] == (1 << 18) // 2040


def test_gradients_finite_and_non_zero():
    torch.manual_seed(0)
    mod = ILayerNorm(16, 8, 5)
    x = (torch.randint(-128, 128, (4, 16)) * 2.0**-4).requires_grad_(True)
    out = mod(x, torch.tensor(2.0**-4))
    (out * torch.randn_like(out)).sum().backward()
    for g in (x.grad, mod.weight.grad, mod.bias.grad):
        assert torch.isfinite(g).all() and g.abs().sum() > 0


def test_refuses_bad_scale_values_and_shapes():
    mod = ILayerNorm(8, 8, 5)
    x = torch.zeros(2, 8)
    with pytest.raises(KernelParameterError, match="layernorm: scale: .*not a power of two"):
        mod(x, 0.1)
    with pytest.raises(KernelParameterError, match="layernorm: x: value 0.3.* not on the grid"):
        mod(torch.full((1, 8), 0.3), 2.0**-4)
    with pytest.raises(KernelParameterError, match=r"layernorm: x: values .* do not fit 8 signed bits"):
        mod(torch.full((1, 8), 8.0), 2.0**-4)  # 128
    with pytest.raises(KernelParameterError, match="layernorm: C: "):
        mod(torch.zeros(2, 7), 2.0**-4)


def test_refuses_bad_widths():
    with pytest.raises(KernelParameterError, match="layernorm: WO: output width 6 cannot hold"):
        ILayerNorm(8, 6, 5)
    with pytest.raises(KernelParameterError, match="layernorm: K: K=8 < G \\+ FO = 9"):
        ILayerNorm(8, 8, 5, recip_bits=8)
    with pytest.raises(KernelParameterError, match="layernorm: WG"):
        ILayerNorm(8, 8, 5, gamma_bits=1)
    with pytest.raises(KernelParameterError, match="layernorm: C: C=1"):
        ILayerNorm(1, 8, 5)
    with pytest.raises(KernelParameterError, match="layernorm: P: P=5 does not divide C=64"):
        check_params(64, 5, 8, 8, 5, 4, 17)
    with pytest.raises(KernelParameterError, match="layernorm: WI"):
        ILayerNorm(8, 8, 5, in_bits=2)
