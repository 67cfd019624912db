"""requant_add: the NumPy specification of the requantizing elementwise add (residual connection).

Two signed integer streams ``a`` (``WA`` bits, ``FA`` fraction bits) and ``b`` (``WB`` bits, ``FB``
fraction bits) are brought to one scale and added, as integer-only transformers do for the
residual connection with dyadic requantization (I-BERT, Kim et al., ICML 2021, Sec. 3.1,
``m * 2**-s`` multipliers; I-ViT, Li & Gu, ICCV 2023, Sec. 3.2, dyadic arithmetic)::

    y = sat_WO((a * MA + b * MB + RND) >> S)     RND = 2**(S-1) if S > 0 else 0

``>>`` is an arithmetic (floor) shift, so adding ``RND`` first rounds half up (towards +inf);
``sat_WO`` clips to the signed ``WO``-bit range (never wraps). The multipliers ``MA``, ``MB``
(integers >= 0) and the shift ``S`` (>= 0) are the dyadic form; with power-of-two scales
(:func:`po2_params`) ``F = max(FA, FB)``, ``MA = 2**(F - FA)``, ``MB = 2**(F - FB)``,
``S = F - FO`` when ``F >= FO``; when ``F < FO`` both multipliers carry the factor
``2**(FO - F)`` and ``S = 0`` (the sum is exact, only saturation can change it).
"""

from __future__ import annotations

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["requant_add", "po2_params", "check_params", "sum_width", "MAX_MULTIPLIER", "MAX_WIDTH"]

KERNEL = "requant_add"
MAX_MULTIPLIER = (1 << 30) - 1  #: largest MA / MB (an HDL ``int`` parameter)
MAX_WIDTH = 32  #: widest input or output element


def po2_params(fa: int, fb: int, fo: int) -> tuple[int, int, int]:
    """``(MA, MB, S)`` adding ``a * 2**-fa`` and ``b * 2**-fb`` into ``y * 2**-fo`` (round half up)."""
    f = max(fa, fb)
    if f >= fo:
        return 1 << (f - fa), 1 << (f - fb), f - fo
    return 1 << (fo - fa), 1 << (fo - fb), 0


def sum_width(wa: int, wb: int, wo: int, ma: int, mb: int, s: int) -> int:
    """Signed width that holds ``a * MA + b * MB + RND`` and the output range (the RTL's adder)."""
    return max(wa + max(ma.bit_length(), 1), wb + max(mb.bit_length(), 1), s, wo) + 2


def check_params(wa: int, wb: int, wo: int, ma: int, mb: int, s: int, p: int = 1) -> None:
    """Refuse parameters the kernel cannot implement.

    Raises:
        KernelParameterError: a width outside 2..32, a multiplier outside 0..2**30-1, a shift
            outside 0..30, P < 1, or an adder wider than 62 bits.
    """
    for name, w in (("WA", wa), ("WB", wb), ("WO", wo)):
        if not 2 <= w <= MAX_WIDTH:
            raise KernelParameterError(KERNEL, name, f"width {w} outside 2..{MAX_WIDTH}")
    for name, m in (("MA", ma), ("MB", mb)):
        if not 0 <= m <= MAX_MULTIPLIER:
            raise KernelParameterError(
                KERNEL, name, f"multiplier {m} outside 0..{MAX_MULTIPLIER} (scales too far apart?)"
            )
    if not 0 <= s <= 30:
        raise KernelParameterError(KERNEL, "S", f"shift {s} outside 0..30")
    if p < 1:
        raise KernelParameterError(KERNEL, "P", f"P={p}: needs at least one element per beat")
    ws = sum_width(wa, wb, wo, ma, mb, s)
    if ws > 62:
        raise KernelParameterError(KERNEL, "MA/MB", f"the sum needs {ws} bits (at most 62)")


def requant_add(a: np.ndarray, b: np.ndarray, ma: int, mb: int, s: int, wo: int) -> np.ndarray:
    """``sat_WO((a * ma + b * mb + RND) >> s)`` elementwise, int64 (``a``, ``b``: same shape)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    rnd = (1 << (s - 1)) if s > 0 else 0
    y = (a * ma + b * mb + rnd) >> s
    return np.clip(y, -(1 << (wo - 1)), (1 << (wo - 1)) - 1)
