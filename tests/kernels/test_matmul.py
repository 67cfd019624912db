"""StreamMatmul / matmul_integers (torch) equal the NumPy reference of hls/stream_matmul bit for
bit, have the float product's gradients, and refuse scales, values and shapes the kernel cannot take."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hwcodesign.hls.stream_matmul.reference import stream_matmul

from hwcodesign.errors import KernelParameterError
from hwcodesign.kernels.matmul import StreamMatmul, matmul_integers


def _ints(rng: np.random.Generator, shape: tuple[int, ...], bits: int, signed: bool = True) -> np.ndarray:
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    x = rng.integers(lo, hi + 1, size=shape)
    x.reshape(-1)[:3] = [lo, hi, 0]
    return x


@pytest.mark.parametrize(
    "wa, wb, fa, fb, a_signed, transpose_b, shape_a, shape_b",
    [
        (8, 8, 4, 6, True, True, (2, 16, 16), (2, 16, 16)),  # Q.K^T, 2 heads of tiny ViT
        (8, 8, 8, 5, False, False, (2, 16, 16), (2, 16, 16)),  # A.V, probabilities unsigned in [0, 1)
        (12, 10, -2, 3, True, True, (5, 7), (9, 7)),  # odd sizes, a scale of 4
        (16, 16, 0, 0, True, False, (3, 33), (33, 4)),  # wide: sums of 38 bits
    ],
)
def test_matches_reference(rng, wa, wb, fa, fb, a_signed, transpose_b, shape_a, shape_b):
    a = _ints(rng, shape_a, wa, a_signed)
    b = _ints(rng, shape_b, wb)
    ta = torch.tensor(a * 2.0**-fa, dtype=torch.float64)
    tb = torch.tensor(b * 2.0**-fb, dtype=torch.float64)
    c, f = matmul_integers(
        ta, 2.0**-fa, tb, 2.0**-fb, a_bits=wa, b_bits=wb, a_signed=a_signed, transpose_b=transpose_b
    )
    expected = stream_matmul(a, b, transpose_b=transpose_b)
    assert c.dtype == torch.int64 and f == fa + fb
    got = c.numpy()
    bad = np.argwhere(got != expected)
    assert bad.size == 0, f"{len(bad)} of {expected.size} differ; first: {[tuple(i) for i in bad[:5]]}"
    mod = StreamMatmul(a_bits=wa, b_bits=wb, a_signed=a_signed, transpose_b=transpose_b)
    y = mod(ta, 2.0**-fa, tb, torch.tensor(2.0**-fb)).numpy() * 2.0 ** (fa + fb)
    assert (y == expected).all(), "the module's float output is not the integer product times its scale"


def test_extreme_sums_fit_the_output_width():
    d = 16
    mod = StreamMatmul(a_bits=8, b_bits=8)
    wo = mod.output_bits(d)
    a = torch.full((1, d), -128.0)
    for bval, sign in ((-128.0, 1), (127.0, -1)):
        c, _ = matmul_integers(a, 1.0, torch.full((1, d), bval), 1.0)
        assert int(c) == sign * d * 128 * abs(int(bval))
        assert -(1 << (wo - 1)) <= int(c) < 1 << (wo - 1)


def test_straight_through_gradients():
    a = torch.tensor([[0.5, -0.25], [1.0, 0.0]], requires_grad=True)
    b = torch.tensor([[0.75, 0.5], [-1.0, 0.25], [0.0, 1.0]], requires_grad=True)
    StreamMatmul()(a, 2.0**-2, b, 2.0**-2).sum().backward()
    a2, b2 = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    (a2 @ b2.T).sum().backward()
    assert torch.equal(a.grad, a2.grad) and torch.equal(b.grad, b2.grad)


def test_integer_params():
    mod = StreamMatmul(a_signed=False, transpose_b=False)
    assert mod.integer_params(16, 16, 16, parallel=4) == {
        "WA": 8,
        "WB": 8,
        "WO": 20,
        "P": 4,
        "M": 16,
        "D": 16,
        "N": 16,
        "TRANSPOSE_B": 0,
        "A_SIGNED": 0,
    }


@pytest.mark.parametrize(
    "call, parameter",
    [
        (
            lambda: matmul_integers(torch.tensor([[0.3]]), 2.0**-2, torch.tensor([[1.0]]), 1.0),
            "a",
        ),  # off grid
        (
            lambda: matmul_integers(torch.tensor([[1.0]]), 3.0, torch.tensor([[1.0]]), 1.0),
            "scale_a",
        ),  # not po2
        (lambda: matmul_integers(torch.tensor([[1.0]]), 1.0, torch.tensor([[128.0]]), 1.0), "b"),  # too wide
        (
            lambda: matmul_integers(torch.tensor([[-1.0]]), 1.0, torch.tensor([[1.0]]), 1.0, a_signed=False),
            "a",
        ),
        (lambda: matmul_integers(torch.ones(2, 3), 1.0, torch.ones(2, 4), 1.0), "b"),  # inner sizes differ
        (lambda: StreamMatmul().integer_params(16, 6, 16, parallel=4), "D"),  # P does not divide D
    ],
)
def test_refuses(call, parameter):
    with pytest.raises(KernelParameterError) as err:
        call()
    assert err.value.kernel == "stream_matmul" and err.value.parameter == parameter
