"""RequantAdd: the residual add of ``hls/requant_add`` as a torch module (bit-exact forward pass).

Two tensors on power-of-two grids (``a * 2**FA``, ``b * 2**FB`` integers) are added on the
output grid ``2**-FO`` exactly as the RTL does (``hwcodesign.hls.requant_add.reference``: shift,
round half up, saturate); gradients are those of ``a + b`` (straight-through).
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import KernelParameterError
from ..hls.requant_add.reference import check_params, po2_params
from .common import frac_bits, grid_integers, straight_through

__all__ = ["RequantAdd", "requant_add_int"]

KERNEL = "requant_add"


def requant_add_int(a: torch.Tensor, b: torch.Tensor, ma: int, mb: int, s: int, wo: int) -> torch.Tensor:
    """``sat_WO((a * ma + b * mb + RND) >> s)`` on int64 tensors (the reference, in torch)."""
    rnd = (1 << (s - 1)) if s > 0 else 0
    y = (a * ma + b * mb + rnd) >> s
    return y.clamp(-(1 << (wo - 1)), (1 << (wo - 1)) - 1)


class RequantAdd(nn.Module):
    """``a + b`` requantized to ``out_bits`` signed bits with ``out_frac_bits`` fraction bits.

    Args:
        out_bits: output width ``WO`` (signed).
        out_frac_bits: output fraction bits ``FO`` (the output scale is ``2**-FO``).
        a_bits: width ``WA`` of ``a`` (signed); values outside it are refused.
        b_bits: width ``WB`` of ``b`` (signed).
    """

    def __init__(self, out_bits: int, out_frac_bits: int, *, a_bits: int = 8, b_bits: int = 8) -> None:
        super().__init__()
        check_params(a_bits, b_bits, out_bits, 1, 1, 0)
        self.out_bits, self.out_frac_bits = out_bits, out_frac_bits
        self.a_bits, self.b_bits = a_bits, b_bits

    def integer_params(self, scale_a: float | torch.Tensor, scale_b: float | torch.Tensor) -> dict:
        """The RTL parameters (``WA WB WO MA MB S``) for inputs with these power-of-two scales.

        Raises:
            KernelParameterError: a scale is not a power of two, or the scales are too far apart.
        """
        fa = frac_bits(KERNEL, "scale_a", scale_a)
        fb = frac_bits(KERNEL, "scale_b", scale_b)
        ma, mb, s = po2_params(fa, fb, self.out_frac_bits)
        check_params(self.a_bits, self.b_bits, self.out_bits, ma, mb, s)
        return {"WA": self.a_bits, "WB": self.b_bits, "WO": self.out_bits, "MA": ma, "MB": mb, "S": s}

    def forward(
        self, a: torch.Tensor, scale_a: float | torch.Tensor, b: torch.Tensor, scale_b: float | torch.Tensor
    ) -> torch.Tensor:
        """The kernel's output (floats on the grid ``2**-FO``); gradients of ``a + b``.

        Raises:
            KernelParameterError: shapes differ, a scale is not a power of two, or a value is off
                its grid or too wide.
        """
        if a.shape != b.shape:
            raise KernelParameterError(
                KERNEL,
                "b",
                f"shape {tuple(b.shape)} differs from a's {tuple(a.shape)} (streams add elementwise)",
            )
        p = self.integer_params(scale_a, scale_b)
        fa = frac_bits(KERNEL, "scale_a", scale_a)
        fb = frac_bits(KERNEL, "scale_b", scale_b)
        ia = grid_integers(KERNEL, "a", a, fa, self.a_bits)
        ib = grid_integers(KERNEL, "b", b, fb, self.b_bits)
        y = requant_add_int(ia, ib, p["MA"], p["MB"], p["S"], self.out_bits)
        exact = (y.to(torch.float64) * 2.0**-self.out_frac_bits).to(a.dtype)
        surrogate = a + b  # enters as zero in value, so the forward value is `exact` bit for bit
        return straight_through(exact, surrogate)

    def extra_repr(self) -> str:
        return (
            f"out_bits={self.out_bits}, out_frac_bits={self.out_frac_bits}, "
            f"a_bits={self.a_bits}, b_bits={self.b_bits}"
        )
