"""StreamMatmul: attention's activation x activation product (``hls/stream_matmul``) in torch.

``Q . K^T`` (``transpose_b``) and ``A . V`` on power-of-two grids: the integers ``a * 2**FA`` and
``b * 2**FB`` are multiplied exactly in int64, as the RTL and
``hwcodesign.hls.stream_matmul.reference`` do (no rounding, no saturation); the product's scale is
``2**-(FA + FB)``. Gradients are those of the float product (straight-through).
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import KernelParameterError
from ..hls.stream_matmul.reference import hdl_parameters, output_width
from .common import frac_bits, grid_integers, straight_through

__all__ = ["StreamMatmul", "matmul_integers", "matmul_int"]

KERNEL = "stream_matmul"


def matmul_int(a: torch.Tensor, b: torch.Tensor, *, transpose_b: bool) -> torch.Tensor:
    """``a . b^T`` (``transpose_b``; ``b`` is ``..., N, D``) or ``a . b`` (``b`` is ``..., D, N``), int64.

    Raises:
        KernelParameterError: the inner dimensions differ.
    """
    bt = b.transpose(-1, -2) if transpose_b else b
    if a.shape[-1] != bt.shape[-2]:
        raise KernelParameterError(
            KERNEL,
            "b",
            f"shape {tuple(b.shape)} (transpose_b={transpose_b}) does not match a's {tuple(a.shape)}",
        )
    return torch.matmul(a.to(torch.int64), bt.to(torch.int64))


def matmul_integers(
    a: torch.Tensor,
    scale_a: float | torch.Tensor,
    b: torch.Tensor,
    scale_b: float | torch.Tensor,
    *,
    a_bits: int = 8,
    b_bits: int = 8,
    a_signed: bool = True,
    transpose_b: bool = True,
) -> tuple[torch.Tensor, int]:
    """The kernel's output integers (int64) for float tensors on po2 grids, and their fraction bits
    ``FA + FB`` (the real product is ``C * 2**-(FA + FB)``).

    Raises:
        KernelParameterError: a scale is not a power of two, a value is off its grid or does not fit
            its width, or the shapes do not multiply.
    """
    fa = frac_bits(KERNEL, "scale_a", scale_a)
    fb = frac_bits(KERNEL, "scale_b", scale_b)
    ia = grid_integers(KERNEL, "a", a, fa, a_bits, a_signed)
    ib = grid_integers(KERNEL, "b", b, fb, b_bits, True)
    return matmul_int(ia, ib, transpose_b=transpose_b), fa + fb


class StreamMatmul(nn.Module):
    """``a . b^T`` (``transpose_b``: Q.K^T) or ``a . b`` (A.V) exactly as ``hls/stream_matmul``.

    Args:
        a_bits: width ``WA`` of ``a``; values outside it are refused.
        b_bits: width ``WB`` of ``b`` (signed).
        a_signed: ``a`` is signed (False for softmax probabilities in ``[0, 1)``).
        transpose_b: ``b`` is ``N x D`` and the product ``a . b^T`` (else ``b`` is ``D x N``).
    """

    def __init__(
        self, *, a_bits: int = 8, b_bits: int = 8, a_signed: bool = True, transpose_b: bool = True
    ) -> None:
        super().__init__()
        self.a_bits, self.b_bits, self.a_signed, self.transpose_b = a_bits, b_bits, a_signed, transpose_b

    def integer_params(self, rows: int, inner: int, cols: int, parallel: int = 1) -> dict[str, int]:
        """The RTL parameters for ``M x D`` by ``D x N`` (``rows``, ``inner``, ``cols``) at ``P``.

        Raises:
            KernelParameterError: ``P`` does not divide ``D`` and ``N``, or a size is below 1.
        """
        return hdl_parameters(
            self.a_bits,
            self.b_bits,
            parallel,
            rows,
            inner,
            cols,
            transpose_b=self.transpose_b,
            a_signed=self.a_signed,
        )

    def output_bits(self, inner: int) -> int:
        """The output width ``WA + WB + ceil(log2 D)`` (signed)."""
        return output_width(self.a_bits, self.b_bits, inner)

    def forward(
        self, a: torch.Tensor, scale_a: float | torch.Tensor, b: torch.Tensor, scale_b: float | torch.Tensor
    ) -> torch.Tensor:
        """The kernel's output as floats (``C * 2**-(FA + FB)``; exact in ``a``'s dtype while ``C``
        fits its mantissa); gradients of the float product.

        Raises:
            KernelParameterError: see :func:`matmul_integers`.
        """
        c, f = matmul_integers(
            a,
            scale_a,
            b,
            scale_b,
            a_bits=self.a_bits,
            b_bits=self.b_bits,
            a_signed=self.a_signed,
            transpose_b=self.transpose_b,
        )
        exact = (c.to(torch.float64) * 2.0**-f).to(a.dtype)
        return straight_through(exact, torch.matmul(a, b.transpose(-1, -2) if self.transpose_b else b))

    def extra_repr(self) -> str:
        bits = f"a_bits={self.a_bits}, b_bits={self.b_bits}"
        return f"{bits}, a_signed={self.a_signed}, transpose_b={self.transpose_b}"
