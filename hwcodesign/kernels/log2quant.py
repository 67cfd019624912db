"""Log2Quant: the log2 / log-sqrt2 quantizer of ``hls/log2quant`` as a torch module.

Post-softmax probabilities on the grid ``2**-WI`` (``p / scale`` integers of ``WI`` unsigned bits,
``p`` in [0, 1)) are coded as the RTL codes them (``hwcodesign.hls.log2quant.reference``) and
returned dequantized: ``dequantize(q) * 2**-F``, the values a following attention-times-V product
uses. Gradients pass straight through (identity).
"""

from __future__ import annotations

from math import isqrt

import torch
from torch import nn

from ..hls.log2quant.reference import KERNEL, SQRT2, SQRT2_BITS, check_dequant, check_params
from .common import frac_bits, grid_integers, straight_through
from .export import KernelExport, exporting, onnx_kernel

__all__ = ["Log2Quant", "log2_quant_int", "dequantize_int"]


def log2_quant_int(y: torch.Tensor, wi: int, wo: int, mode: int) -> torch.Tensor:
    """The ``wo``-bit code of unsigned int64 ``y`` (the reference, in torch)."""
    pos = torch.clamp(y, min=1)
    k = torch.frexp(pos.to(torch.float64))[1].to(torch.int64) - 1  # exact: y < 2**53
    sq = pos * pos
    if mode == 0:
        q = (wi - k) - (sq > torch.ones_like(k) << (2 * k + 1)).to(torch.int64)
    else:
        t1 = torch.tensor([isqrt(1 << (4 * j + 1)) for j in range(wi)], dtype=torch.int64, device=y.device)
        t3 = torch.tensor([isqrt(1 << (4 * j + 3)) for j in range(wi)], dtype=torch.int64, device=y.device)
        q = 2 * (wi - k) - (sq > t1[k]).to(torch.int64) - (sq > t3[k]).to(torch.int64)
    top = (1 << wo) - 1
    return torch.where(y == 0, torch.full_like(q, top), torch.clamp(q, max=top))


def dequantize_int(q: torch.Tensor, mode: int, f: int) -> torch.Tensor:
    """``dequantize`` of the reference on int64 codes: ``floor(2**(f - q))`` or ``floor(2**(f - q/2))``."""

    def pow2(e: torch.Tensor) -> torch.Tensor:
        return torch.where(e >= 0, torch.ones_like(e) << torch.clamp(e, 0, 62), torch.zeros_like(e))

    if mode == 0:
        return pow2(f - q)
    t = f - ((q + 1) >> 1) - SQRT2_BITS
    s = torch.full_like(q, SQRT2)
    odd = torch.where(t >= 0, s << torch.clamp(t, 0, 40), s >> torch.clamp(-t, 0, 62))
    return torch.where(q % 2 == 0, pow2(f - (q >> 1)), odd)


class Log2Quant(KernelExport, nn.Module):
    """Quantize post-softmax values to ``bits``-bit log2 (mode 0) or log-sqrt2 (mode 1) codes.

    Args:
        bits: code width ``WO``; ``2**WO - 1`` is the code of 0 and of everything below the grid.
        mode: 0 (log2, FQ-ViT) or 1 (log-sqrt2, RepQ-ViT).
        out_frac_bits: fraction bits ``F`` of the dequantized values (default: the input's ``WI``).
    """

    def __init__(self, bits: int, mode: int = 0, *, out_frac_bits: int | None = None) -> None:
        super().__init__()
        check_params(1, 8, bits, mode)
        self.bits, self.mode, self.out_frac_bits = bits, mode, out_frac_bits

    def integer_params(self, scale: float | torch.Tensor) -> dict:
        """The RTL parameters (``WI WO MODE``) and the dequantized fraction bits ``frac_bits``.

        Raises:
            KernelParameterError: the scale is not a power of two, or the kernel cannot take it.
        """
        wi = frac_bits(KERNEL, "scale", scale)
        check_params(1, wi, self.bits, self.mode)
        f = wi if self.out_frac_bits is None else self.out_frac_bits
        check_dequant(self.mode, f)
        return {"WI": wi, "WO": self.bits, "MODE": self.mode, "frac_bits": f}

    def forward(self, p: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
        """The dequantized codes (floats on the grid ``2**-F``); the gradient of the identity.

        Raises:
            KernelParameterError: a non-power-of-two scale, or values off its grid or outside [0, 1).
        """
        if exporting():
            e = self.exported(KERNEL)
            keep = ("WI", "WO", "MODE", "frac_bits")
            return onnx_kernel("Log2Quant", p, e["WI"], {k: e[k] for k in keep}, e["frac_bits"])
        par = self.integer_params(scale)
        self.remember(par)
        y = grid_integers(KERNEL, "p", p, par["WI"], par["WI"], signed=False)
        q = log2_quant_int(y, par["WI"], self.bits, self.mode)
        exact = dequantize_int(q, self.mode, par["frac_bits"]).to(torch.float64) * 2.0 ** -par["frac_bits"]
        return straight_through(exact.to(p.dtype), p)
