"""ShiftGELU: the NumPy specification (integers only, int64).

I-ViT (Li & Gu, "I-ViT: Integer-only Quantization for Efficient Vision Transformer Inference",
ICCV 2023, Sec. 3.4 "ShiftGELU"): ``GELU(x) ~ x * sigmoid(1.702 x)``, elementwise, with
``1.702 ~ (1.1011)_2 = 1.6875`` made of shifts, the sigmoid written as a quotient of two shift
exponentials (``shift_exp``, shared with Shiftmax) and one integer division per element.
``x`` is signed ``WI`` bits with ``FI`` fraction bits; the output signed ``WO`` bits with ``FO``::

    z   = x + (x >> 1) + (x >> 3) + (x >> 4)                  (1.702 x)
    M   = max(z, 0)
    a   = shift_exp(z - M, FI, EB);  b = shift_exp(-M, FI, EB)      (one of them is 2**(FI+EB))
    sig = floor(a * 2**SB / (a + b))                           (sigmoid(1.702 x) in units of 2**-SB)
    y   = sat_WO((x * sig) >> (SB + FI - FO))                  (a left shift when SB + FI - FO < 0)

Rounding: every right shift is floor (arithmetic), the division is floor, and ``sat_WO`` clamps
to ``[-2**(WO-1), 2**(WO-1) - 1]`` (two's complement, never wrapped).
"""

from __future__ import annotations

import numpy as np
from hwcodesign.hls.shiftmax.reference import shift_exp

from hwcodesign.errors import KernelParameterError

__all__ = ["shift_gelu", "sigmoid", "check_params", "KERNEL"]

KERNEL = "gelu"


def check_params(P: int, WI: int, FI: int, WO: int, FO: int, EB: int = 4, SB: int = 8) -> None:  # noqa: N803
    """Refuse parameters the kernel cannot implement (the RTL's ``$error`` checks, first).

    Raises:
        KernelParameterError: naming the parameter and what is wrong with it.
    """
    checks = [
        ("P", P >= 1, f"{P} elements per beat must be >= 1"),
        ("WI", 2 <= WI <= 32, f"input width {WI} not in 2..32"),
        ("FI", 0 <= FI <= 24, f"input fraction bits {FI} not in 0..24 (shift inputs with FI < 0 left first)"),
        ("EB", 0 <= EB <= 16 and FI + EB >= 1, f"extra exp bits {EB} not in 0..16 with FI + EB >= 1"),
        ("SB", 1 <= SB <= 24, f"sigmoid bits {SB} not in 1..24"),
        ("WO", 2 <= WO <= 32, f"output width {WO} not in 2..32"),
        ("FO", -32 <= FO <= 48, f"output fraction bits {FO} not in -32..48"),
    ]
    for name, ok, problem in checks:
        if not ok:
            raise KernelParameterError(KERNEL, name, problem)
    left = max(0, FO - SB - FI)
    if WI + SB + 1 + left > 62:
        raise KernelParameterError(
            KERNEL, "FO", f"x * sig << {left} needs {WI + SB + 1 + left} bits (> 62): lower FO or SB"
        )


def sigmoid(z: np.ndarray, FI: int, EB: int = 4, SB: int = 8) -> np.ndarray:  # noqa: N803
    """``floor(a * 2**SB / (a + b))``: I-ViT's shift sigmoid of ``z`` (``FI`` fraction bits), 0..2**SB."""
    z = np.asarray(z, dtype=np.int64)
    m = np.maximum(z, 0)
    a = shift_exp(z - m, FI, EB)
    b = shift_exp(-m, FI, EB)
    return (a << SB) // (a + b)


def shift_gelu(
    x: np.ndarray, FI: int, WO: int, FO: int, EB: int = 4, SB: int = 8, WI: int | None = None  # noqa: N803
) -> np.ndarray:
    """ShiftGELU of the integers ``x`` (``FI`` fraction bits): signed ``WO``-bit ``y``, ``FO`` fraction bits.

    Raises:
        KernelParameterError: bad parameters, or ``x`` does not fit ``WI`` signed bits (when given).
    """
    x = np.asarray(x, dtype=np.int64)
    check_params(1, WI if WI is not None else 32, FI, WO, FO, EB, SB)
    if WI is not None and x.size:
        lo, hi = -(1 << (WI - 1)), (1 << (WI - 1)) - 1
        if x.min() < lo or x.max() > hi:
            problem = f"values {x.min()}..{x.max()} do not fit {WI} signed bits"
            raise KernelParameterError(KERNEL, "x", problem)
    z = x + (x >> 1) + (x >> 3) + (x >> 4)
    p = x * sigmoid(z, FI, EB, SB)
    sh = SB + FI - FO
    y = p >> sh if sh >= 0 else p << -sh
    return np.clip(y, -(1 << (WO - 1)), (1 << (WO - 1)) - 1)
