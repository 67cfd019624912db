"""ILayerNorm: the I-LayerNorm of ``hls/layernorm`` as a torch module (bit-exact forward pass).

The forward pass computes the integers of ``hwcodesign.hls.layernorm.reference`` with torch int64
ops (integer mean, exact integer square root, one reciprocal per row, quantized gamma/beta) and
returns them as floats on the output grid ``2**-FO``; gradients are those of
``torch.nn.functional.layer_norm`` with the dequantized gamma and beta (straight-through).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from ..errors import KernelParameterError
from ..hls.layernorm.reference import check_params, default_recip_bits, sigma_bits
from .common import frac_bits, grid_integers, straight_through
from .export import KernelExport, exporting, onnx_kernel

__all__ = ["ILayerNorm", "i_layernorm_int"]

KERNEL = "layernorm"


def _isqrt(n: torch.Tensor, bits: int) -> torch.Tensor:
    """Exact ``floor(sqrt(n))`` for ``0 <= n < 2**(2 bits)``, digit by digit (as the reference)."""
    rem = torch.zeros_like(n)
    root = torch.zeros_like(n)
    for i in range(bits - 1, -1, -1):
        rem = (rem << 2) | ((n >> (2 * i)) & 3)
        trial = (root << 2) | 1
        ge = rem >= trial
        rem = torch.where(ge, rem - trial, rem)
        root = (root << 1) | ge.to(torch.int64)
    return root


def i_layernorm_int(
    x: torch.Tensor,
    wi: int,
    wo: int,
    fo: int,
    g: int,
    k: int,
    gamma: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
    fg: int = 6,
) -> torch.Tensor:
    """I-LayerNorm of the rows (last axis) of the int64 tensor ``x`` (the reference, in torch)."""
    c = x.shape[-1]
    mu = torch.div(x.sum(dim=-1, keepdim=True), c, rounding_mode="floor")
    d = x - mu
    var = torch.div((d * d).sum(dim=-1, keepdim=True) << (2 * g), c, rounding_mode="floor")
    sigma = _isqrt(var, sigma_bits(wi, g))
    one = torch.full_like(sigma, 1 << k)
    recip = torch.where(sigma > 0, torch.div(one, sigma.clamp(min=1), rounding_mode="floor"), 0)
    n = (d * recip) >> (k - g - fo)
    if gamma is not None:
        n = ((n * gamma) >> fg) + beta
    return n.clamp(-(1 << (wo - 1)), (1 << (wo - 1)) - 1)


class ILayerNorm(KernelExport, nn.Module):
    """LayerNorm over the last axis (``channels``) with integer statistics, as the RTL computes it.

    Args:
        channels: ``C``, the normalised (last) axis.
        out_bits: output width ``WO`` (signed); out_frac_bits: its fraction bits ``FO``.
        affine: learn gamma (init 1) and beta (init 0), quantized to their integer grids.
        gamma_bits, gamma_frac_bits: ``WG``, ``FG`` of gamma (signed).
        guard_bits: ``G``, extra bits of sigma.
        recip_bits: ``K`` (default ``in_bits + G + FO``: the reciprocal's floor moves n by < 1 LSB).
        in_bits: ``WI``, width of the input integers (signed).
        beta_bits: ``WB`` of beta (signed, ``FO`` fraction bits; default ``out_bits``).
    """

    def __init__(
        self,
        channels: int,
        out_bits: int,
        out_frac_bits: int,
        affine: bool = True,
        gamma_bits: int = 8,
        gamma_frac_bits: int = 6,
        guard_bits: int = 4,
        recip_bits: int | None = None,
        *,
        in_bits: int = 8,
        beta_bits: int | None = None,
    ) -> None:
        super().__init__()
        self.channels, self.out_bits, self.out_frac_bits = channels, out_bits, out_frac_bits
        self.affine, self.gamma_bits, self.gamma_frac_bits = affine, gamma_bits, gamma_frac_bits
        self.guard_bits, self.in_bits = guard_bits, in_bits
        self.recip_bits = (
            default_recip_bits(in_bits, guard_bits, out_frac_bits) if recip_bits is None else recip_bits
        )
        self.beta_bits = out_bits if beta_bits is None else beta_bits
        check_params(
            channels,
            1,
            in_bits,
            out_bits,
            out_frac_bits,
            guard_bits,
            self.recip_bits,
            affine,
            gamma_bits,
            gamma_frac_bits,
            self.beta_bits,
        )
        if affine:
            self.weight = nn.Parameter(torch.ones(channels))
            self.bias = nn.Parameter(torch.zeros(channels))

    def _quantized(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(gamma_int, beta_int, gamma_q, beta_q)``: the integers and their values (straight-through)."""

        def quantize(w: torch.Tensor, bits: int, frac: int) -> tuple[torch.Tensor, torch.Tensor]:
            q = torch.round(w.detach() * 2.0**frac).clamp(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            return q.to(torch.int64), w + (q * 2.0**-frac - w).detach()

        gi, gq = quantize(self.weight, self.gamma_bits, self.gamma_frac_bits)
        bi, bq = quantize(self.bias, self.beta_bits, self.out_frac_bits)
        return gi, bi, gq, bq

    def integer_params(self) -> dict:
        """The RTL parameters (``C WI WO FO G K AFFINE WG FG WB``) and, with affine, ``gamma``/``beta``
        integer arrays (for the ``$readmemh`` files). The input scale cancels, so none is needed."""
        par = {
            "C": self.channels,
            "WI": self.in_bits,
            "WO": self.out_bits,
            "FO": self.out_frac_bits,
            "G": self.guard_bits,
            "K": self.recip_bits,
            "AFFINE": int(self.affine),
            "WG": self.gamma_bits,
            "FG": self.gamma_frac_bits,
            "WB": self.beta_bits,
        }
        if self.affine:
            gi, bi, _, _ = self._quantized()
            par["gamma"], par["beta"] = gi.cpu().numpy().astype(np.int64), bi.cpu().numpy().astype(np.int64)
        return par

    def forward(self, x: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
        """The kernel's output (floats on the grid ``2**-FO``); gradients of ``F.layer_norm``.

        Raises:
            KernelParameterError: the last axis is not ``channels``, the scale is not a power of
                two, or a value is off its grid or wider than ``in_bits``.
        """
        if x.dim() < 1 or x.shape[-1] != self.channels:
            raise KernelParameterError(
                KERNEL,
                "C",
                f"input's last axis has {tuple(x.shape)[-1:]} elements, the kernel {self.channels}",
            )
        if exporting():
            p = self.exported(KERNEL)
            keep = ("WI", "WO", "FO", "G", "K", "FG", "WG", "WB", "gamma", "beta")
            return onnx_kernel("ILayerNorm", x, p["F"], {k: p[k] for k in keep if k in p}, self.out_frac_bits)
        f = frac_bits(KERNEL, "scale", scale)
        ix = grid_integers(KERNEL, "x", x, f, self.in_bits)
        self.remember({"F": f, **self.integer_params()})
        gi = bi = gq = bq = None
        if self.affine:
            gi, bi, gq, bq = self._quantized()
        y = i_layernorm_int(
            ix,
            self.in_bits,
            self.out_bits,
            self.out_frac_bits,
            self.guard_bits,
            self.recip_bits,
            gi,
            bi,
            self.gamma_frac_bits,
        )
        exact = (y.to(torch.float64) * 2.0**-self.out_frac_bits).to(x.dtype)
        eps = (2.0**-f * 2.0**-self.guard_bits) ** 2  # the integer kernel's resolution of the variance
        if self.affine:
            gq, bq = gq.to(x.dtype), bq.to(x.dtype)
        surrogate = F.layer_norm(x, (self.channels,), gq, bq, eps)
        # the surrogate enters as (s - s.detach()), zero in value, so the forward value is `exact` bit for bit
        # (s + (e - s) rounds in float32)
        return straight_through(exact, surrogate)

    def extra_repr(self) -> str:
        return (
            f"{self.channels}, out_bits={self.out_bits}, out_frac_bits={self.out_frac_bits}, "
            f"affine={self.affine}, "
            f"guard_bits={self.guard_bits}, recip_bits={self.recip_bits}, in_bits={self.in_bits}"
        )
