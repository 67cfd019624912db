"""What every kernel's torch module needs: power-of-two scales as shift amounts, range checks
that name the kernel and the parameter, and the straight-through estimator."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import KernelParameterError

if TYPE_CHECKING:
    import torch

__all__ = ["frac_bits", "check_range", "grid_integers", "straight_through"]


def frac_bits(kernel: str, parameter: str, scale: float | torch.Tensor) -> int:
    """``F`` such that ``scale == 2**-F``: the kernels shift by scales, so they must be powers of two.

    Raises:
        KernelParameterError: the scale is not a single positive power of two.
    """
    if hasattr(scale, "detach"):
        flat = scale.detach().reshape(-1)
        if flat.numel() != 1 and not bool((flat == flat[0]).all()):
            raise KernelParameterError(
                kernel, parameter, "a per-channel scale; the kernel needs one scale per tensor"
            )
        scale = float(flat[0])
    s = float(scale)
    if not (s > 0 and math.isfinite(s)):
        raise KernelParameterError(kernel, parameter, f"scale {s} is not a positive number")
    f = -math.log2(s)
    if abs(f - round(f)) > 1e-9:
        raise KernelParameterError(
            kernel,
            parameter,
            f"scale {s:g} is not a power of two (the kernel shifts by it); "
            "use power-of-two quantizers (quantization.scaling: po2)",
        )
    return round(f)


def check_range(kernel: str, parameter: str, values, bits: int, signed: bool) -> None:
    """Refuse integers that do not fit ``bits`` (two's complement when ``signed``).

    Raises:
        KernelParameterError: naming the widest value found and the width that holds it.
    """
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    vmin, vmax = int(values.min()), int(values.max())
    if vmin < lo or vmax > hi:
        raise KernelParameterError(
            kernel,
            parameter,
            f"values {vmin}..{vmax} do not fit {bits} {'signed' if signed else 'unsigned'} bits ({lo}..{hi})",
        )


def grid_integers(
    kernel: str, parameter: str, x: torch.Tensor, f: int, bits: int, signed: bool = True
) -> torch.Tensor:
    """``x * 2**f`` as int64, refusing values off the grid or outside ``bits`` bits.

    Raises:
        KernelParameterError: a value is not a multiple of ``2**-f`` (or not finite), or does not fit.
    """
    import torch

    q = x.detach().to(torch.float64) * 2.0**f
    i = torch.round(q)
    off = q != i
    if bool(off.any()):
        bad = float(x.detach().reshape(-1)[off.reshape(-1)][0])
        raise KernelParameterError(
            kernel, parameter, f"value {bad!r} is not on the grid of its scale 2**{-f} (quantize it first)"
        )
    i = i.to(torch.int64)
    if i.numel():
        check_range(kernel, parameter, i, bits, signed=signed)
    return i


def straight_through(exact: torch.Tensor, surrogate: torch.Tensor) -> torch.Tensor:
    """``exact`` in the forward pass (bit for bit: ``surrogate - surrogate.detach()`` is exactly 0),
    the gradient of ``surrogate`` in the backward pass."""
    return exact.detach() + (surrogate - surrogate.detach())
