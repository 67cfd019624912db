"""What every kernel's torch module needs: power-of-two scales as shift amounts, range checks
that name the kernel and the parameter, and the straight-through estimator."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import KernelParameterError

if TYPE_CHECKING:
    import torch

__all__ = ["frac_bits", "check_range", "straight_through"]


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


def straight_through(exact: torch.Tensor, surrogate: torch.Tensor) -> torch.Tensor:
    """``exact`` in the forward pass, the gradient of ``surrogate`` in the backward pass."""
    return surrogate + (exact - surrogate).detach()
