"""Shiftmax: I-ViT's integer softmax of ``hls/shiftmax`` as a torch module (bit-exact forward pass).

The input is on a power-of-two grid (``x / scale`` integers of ``in_bits`` signed bits); the
output is ``y * 2**-WO`` with ``y`` exactly the integers of ``hwcodesign.hls.shiftmax.reference``
(and of the RTL); gradients are those of ``torch.softmax`` (straight-through). Also the torch
twin of the shared ``shift_exp`` and :func:`grid_integers`, used by the other I-ViT kernels.
"""

from __future__ import annotations

import torch
from torch import nn

from ..hls.shiftmax.reference import check_params, row_bits
from .common import frac_bits, grid_integers, straight_through
from .export import KernelExport, exporting, onnx_kernel

__all__ = ["Shiftmax", "shift_exp", "shiftmax_int"]

KERNEL = "shiftmax"


def shift_exp(v: torch.Tensor, fi: int, eb: int) -> torch.Tensor:
    """``shift_exp`` of ``hwcodesign.hls.shiftmax.reference`` on int64 tensors (``v <= 0``)."""
    u = -(v + (v >> 1) - (v >> 4))
    q = torch.clamp(u >> fi, max=fi + eb + 1)
    f = u & ((1 << fi) - 1)
    return (((1 << fi) - (f >> 1)) << eb) >> q


def shiftmax_int(x: torch.Tensor, fi: int, wo: int, eb: int) -> torch.Tensor:
    """Shiftmax over the last dimension of int64 ``x`` (the reference, in torch)."""
    e = shift_exp(x - x.amax(dim=-1, keepdim=True), fi, eb)
    s = e.sum(dim=-1, keepdim=True)
    k = fi + eb + row_bits(x.shape[-1])
    r = torch.div(torch.full_like(s, 1 << (wo + k)), s, rounding_mode="floor")
    return torch.clamp((e * r) >> k, max=(1 << wo) - 1)


class Shiftmax(KernelExport, nn.Module):
    """Softmax over ``dim`` as I-ViT's Shiftmax computes it: ``out_bits`` unsigned output bits.

    Inputs with a scale above 1 (fraction bits ``F < 0``) are shifted left onto the integer grid
    (``FI = 0``, ``WI = in_bits - F``): the RTL then takes ``x << -F`` (``in_shift`` of
    :meth:`integer_params`).

    Args:
        out_bits: output width ``WO``; the output is ``y / 2**WO`` in [0, 1).
        extra_bits: ``EB``, extra fraction bits of the shift exponential.
        dim: the softmax dimension (the row of ``N`` elements).
        in_bits: width ``WI`` of the signed input integers; wider values are refused.
    """

    def __init__(self, out_bits: int, extra_bits: int = 4, dim: int = -1, *, in_bits: int = 8) -> None:
        super().__init__()
        check_params(2, 1, in_bits, 1, out_bits, extra_bits)  # the widths; FI and N come with x
        self.out_bits, self.extra_bits, self.dim, self.in_bits = out_bits, extra_bits, dim, in_bits

    def integer_params(self, scale: float | torch.Tensor, row_length: int | None = None) -> dict:
        """The RTL parameters (``WI FI WO EB``, ``N`` when ``row_length`` is given) and ``in_shift``.

        Raises:
            KernelParameterError: the scale is not a power of two, or the kernel cannot take them.
        """
        f = frac_bits(KERNEL, "scale", scale)
        wi, fi = self.in_bits + max(0, -f), max(0, f)
        check_params(row_length or 2, 1, wi, fi, self.out_bits, self.extra_bits)
        par = {"WI": wi, "FI": fi, "WO": self.out_bits, "EB": self.extra_bits, "in_shift": max(0, -f)}
        return par if row_length is None else {"N": row_length, **par}

    def forward(self, x: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
        """The kernel's output (floats ``y / 2**WO``); gradients of ``torch.softmax(x, dim)``.

        Raises:
            KernelParameterError: a non-power-of-two scale, values off its grid or wider than ``in_bits``.
        """
        if exporting():
            p = self.exported(KERNEL)
            keep = ("WI", "FI", "WO", "EB", "in_shift")
            return onnx_kernel("Shiftmax", x, p["F"], {k: p[k] for k in keep}, self.out_bits)
        f = frac_bits(KERNEL, "scale", scale)
        xi = grid_integers(KERNEL, "x", x, f, self.in_bits).movedim(self.dim, -1)
        par = self.integer_params(scale, xi.shape[-1])
        self.remember({"F": f, **par})
        xi = xi << par["in_shift"]
        y = shiftmax_int(xi, par["FI"], self.out_bits, self.extra_bits).movedim(-1, self.dim)
        exact = (y.to(torch.float64) * 2.0**-self.out_bits).to(x.dtype)
        return straight_through(exact, torch.softmax(x, dim=self.dim))
