"""Shiftmax: the NumPy specification (integers only, int64).

I-ViT (Li & Gu, "I-ViT: Integer-only Quantization for Efficient Vision Transformer Inference",
ICCV 2023, Sec. 3.3 "Shiftmax"): softmax over each row of ``N`` signed integers ``x`` (``WI``
bits, ``FI`` fraction bits) with the exponential made of shifts (:func:`shift_exp`) and one
integer division per row::

    m   = max_j x_j;   d_j = x_j - m                       (<= 0)
    e_j = shift_exp(d_j, FI, EB)                            (in [0, 2**(FI+EB)])
    S   = sum_j e_j                                          (>= 2**(FI+EB): the max contributes 1.0)
    L   = ceil(log2 N);  K = FI + EB + L
    R   = floor(2**(WO+K) / S)                               (R in [2**WO, 2**(WO+L)])
    y_j = min((e_j * R) >> K, 2**WO - 1)                     (unsigned WO bits, meaning y / 2**WO)

Rounding: every shift is floor (arithmetic shift right), the division is floor, and the only
saturation is ``y == 2**WO`` (a row whose other elements all underflow to 0) becoming ``2**WO - 1``.
``shift_exp`` is shared with ShiftGELU (``hls/gelu``): keep its signature and semantics.
"""

from __future__ import annotations

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["shift_exp", "shiftmax", "check_params", "row_bits", "KERNEL"]

KERNEL = "shiftmax"


def shift_exp(v: np.ndarray, frac_bits: int, extra_bits: int) -> np.ndarray:
    """``2**(v * log2(e))`` for integers ``v <= 0`` with ``frac_bits`` fraction bits, with shifts only.

    I-ViT (Li & Gu, ICCV 2023, Sec. 3.3): ``v * log2(e)`` is approximated by
    ``v + (v >> 1) - (v >> 4)`` (1.4375); with ``u = -that = q + f`` (integer part ``q``,
    fraction ``f``), ``2**-u = 2**-q * 2**-f ~ 2**-q * (1 - f/2)``. The result is an integer in
    units of ``2**-(frac_bits + extra_bits)``: ``1.0`` (``v == 0``) is ``2**(frac_bits + extra_bits)``;
    shifts beyond ``frac_bits + extra_bits + 1`` give 0.
    """
    v = np.asarray(v, dtype=np.int64)
    if (v > 0).any():
        raise ValueError("shift_exp takes v <= 0")
    t = v + (v >> 1) - (v >> 4)
    u = -t
    q = np.minimum(u >> frac_bits, frac_bits + extra_bits + 1)
    f = u & ((1 << frac_bits) - 1)
    return (((1 << frac_bits) - (f >> 1)) << extra_bits) >> q


def row_bits(n: int) -> int:
    """``L = ceil(log2 N)``: the bits the row sum adds above one element."""
    return max(0, (int(n) - 1).bit_length())


def check_params(N: int, P: int, WI: int, FI: int, WO: int, EB: int = 4) -> None:  # noqa: N803 - HDL names
    """Refuse parameters the kernel cannot implement (the RTL's ``$error`` checks, first).

    Raises:
        KernelParameterError: naming the parameter and what is wrong with it.
    """
    checks = [
        ("N", 2 <= N <= 1 << 16, f"row length {N} not in 2..65536"),
        ("P", P >= 1 and N % P == 0, f"{P} elements per beat must be >= 1 and divide N = {N}"),
        ("WI", 2 <= WI <= 32, f"input width {WI} not in 2..32"),
        ("FI", 0 <= FI <= 24, f"input fraction bits {FI} not in 0..24 (shift inputs with FI < 0 left first)"),
        ("EB", 0 <= EB <= 16 and FI + EB >= 1, f"extra exp bits {EB} not in 0..16 with FI + EB >= 1"),
        ("WO", 1 <= WO <= 24, f"output width {WO} not in 1..24"),
    ]
    for name, ok, problem in checks:
        if not ok:
            raise KernelParameterError(KERNEL, name, problem)
    if WO + FI + EB + row_bits(N) > 62:
        raise KernelParameterError(
            KERNEL, "WO", f"WO + FI + EB + ceil(log2 N) = {WO + FI + EB + row_bits(N)} > 62: "
            "the normalising product e * R overflows 64 bits"
        )


def shiftmax(x: np.ndarray, FI: int, WO: int, EB: int = 4, WI: int | None = None) -> np.ndarray:  # noqa: N803
    """Shiftmax of every row (last axis) of the integers ``x``: unsigned ``WO``-bit ``y`` (``y / 2**WO``).

    Raises:
        KernelParameterError: bad parameters, or ``x`` does not fit ``WI`` signed bits (when given).
    """
    x = np.asarray(x, dtype=np.int64)
    n = x.shape[-1]
    if WI is not None:
        check_params(n, 1, WI, FI, WO, EB)
        lo, hi = -(1 << (WI - 1)), (1 << (WI - 1)) - 1
        if x.size and (x.min() < lo or x.max() > hi):
            problem = f"values {x.min()}..{x.max()} do not fit {WI} signed bits"
            raise KernelParameterError(KERNEL, "x", problem)
    else:
        check_params(n, 1, 32, FI, WO, EB)
    d = x - x.max(axis=-1, keepdims=True)
    e = shift_exp(d, FI, EB)
    s = e.sum(axis=-1, keepdims=True)
    k = FI + EB + row_bits(n)
    r = (np.int64(1) << (WO + k)) // s
    return np.minimum((e * r) >> k, (1 << WO) - 1)
