"""ShiftGELU: I-ViT's integer GELU of ``hls/gelu`` as a torch module (bit-exact forward pass).

The input is on a power-of-two grid (``x / scale`` integers of ``in_bits`` signed bits); the
output is ``y * 2**-FO`` with ``y`` exactly the integers of ``hwcodesign.hls.gelu.reference`` (and
of the RTL); gradients are those of ``torch.nn.functional.gelu`` (straight-through).
"""

from __future__ import annotations

import torch
from torch import nn

from ..hls.gelu.reference import check_params
from .common import frac_bits, grid_integers, straight_through
from .export import KernelExport, exporting, onnx_kernel
from .shiftmax import shift_exp

__all__ = ["ShiftGELU", "shift_gelu_int"]

KERNEL = "gelu"


def shift_gelu_int(x: torch.Tensor, fi: int, wo: int, fo: int, eb: int, sb: int) -> torch.Tensor:
    """ShiftGELU of int64 ``x`` (the reference, in torch)."""
    z = x + (x >> 1) + (x >> 3) + (x >> 4)
    m = torch.clamp(z, min=0)
    a = shift_exp(z - m, fi, eb)
    b = shift_exp(-m, fi, eb)
    p = x * torch.div(a << sb, a + b, rounding_mode="floor")
    sh = sb + fi - fo
    y = p >> sh if sh >= 0 else p << -sh
    return torch.clamp(y, -(1 << (wo - 1)), (1 << (wo - 1)) - 1)


class ShiftGELU(KernelExport, nn.Module):
    """GELU as I-ViT's ShiftGELU computes it: ``x * sigmoid(1.702 x)`` with shifts and one division.

    Inputs with a scale above 1 (fraction bits ``F < 0``) are shifted left onto the integer grid
    (``FI = 0``, ``WI = in_bits - F``): the RTL then takes ``x << -F`` (``in_shift`` of
    :meth:`integer_params`).

    Args:
        out_bits: output width ``WO`` (signed, saturated).
        out_frac_bits: output fraction bits ``FO`` (the output scale is ``2**-FO``).
        extra_bits: ``EB``, extra fraction bits of the shift exponential.
        sigmoid_bits: ``SB``, fraction bits of the sigmoid.
        in_bits: width ``WI`` of the signed input integers; wider values are refused.
    """

    def __init__(
        self,
        out_bits: int,
        out_frac_bits: int,
        extra_bits: int = 4,
        sigmoid_bits: int = 8,
        *,
        in_bits: int = 8,
    ) -> None:
        super().__init__()
        check_params(1, in_bits, 1, out_bits, out_frac_bits, extra_bits, sigmoid_bits)  # FI comes with x
        self.out_bits, self.out_frac_bits = out_bits, out_frac_bits
        self.extra_bits, self.sigmoid_bits, self.in_bits = extra_bits, sigmoid_bits, in_bits

    def integer_params(self, scale: float | torch.Tensor) -> dict:
        """The RTL parameters (``WI FI WO FO EB SB``) and ``in_shift`` for inputs with this scale.

        Raises:
            KernelParameterError: the scale is not a power of two, or the kernel cannot take it.
        """
        f = frac_bits(KERNEL, "scale", scale)
        wi, fi = self.in_bits + max(0, -f), max(0, f)
        check_params(1, wi, fi, self.out_bits, self.out_frac_bits, self.extra_bits, self.sigmoid_bits)
        return {
            "WI": wi,
            "FI": fi,
            "WO": self.out_bits,
            "FO": self.out_frac_bits,
            "EB": self.extra_bits,
            "SB": self.sigmoid_bits,
            "in_shift": max(0, -f),
        }

    def forward(self, x: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
        """The kernel's output (floats on the grid ``2**-FO``); gradients of ``F.gelu(x)``.

        Raises:
            KernelParameterError: a non-power-of-two scale, values off its grid or wider than ``in_bits``.
        """
        if exporting():
            p = self.exported(KERNEL)
            keep = ("WI", "FI", "WO", "FO", "EB", "SB", "in_shift")
            return onnx_kernel("ShiftGELU", x, p["F"], {k: p[k] for k in keep}, self.out_frac_bits)
        f = frac_bits(KERNEL, "scale", scale)
        xi = grid_integers(KERNEL, "x", x, f, self.in_bits)
        par = self.integer_params(scale)
        self.remember({"F": f, **par})
        y = shift_gelu_int(
            xi << par["in_shift"],
            par["FI"],
            self.out_bits,
            self.out_frac_bits,
            self.extra_bits,
            self.sigmoid_bits,
        )
        exact = (y.to(torch.float64) * 2.0**-self.out_frac_bits).to(x.dtype)
        return straight_through(exact, nn.functional.gelu(x))
