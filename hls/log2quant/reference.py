"""log2 / log-sqrt2 quantizer of post-softmax values: the NumPy specification (integers only, int64).

Log2 quantization of attention probabilities: FQ-ViT (Lin et al., IJCAI 2022, Sec. 3.3,
"Log-Int-Softmax": ``q = clip(round(-log2 p), 0, 2**b - 1)``); the log-sqrt2 quantizer: RepQ-ViT
(Li et al., ICCV 2023, Sec. 3.3: ``q = clip(round(-log_sqrt2 p), 0, 2**b - 1)``, a base-sqrt2
grid that resolves large probabilities twice as finely). The input is unsigned ``WI`` bits, ``y``
meaning ``p = y / 2**WI`` in [0, 1) (Shiftmax's output); the output is an unsigned ``WO``-bit code::

    y == 0:     q = 2**WO - 1
    k = floor(log2 y)                                                   (leading-one position)
    MODE 0 (log2):       q = (WI - k)   - [y**2 > 2**(2k+1)]            = round(-log2 p)
    MODE 1 (log-sqrt2):  q = 2*(WI - k) - [y**4 > 2**(4k+1)] - [y**4 > 2**(4k+3)]   = round(-2 log2 p)
    q = min(q, 2**WO - 1)

Ties cannot occur: ``-log2 p`` is a half-integer only where ``y = 2**k * sqrt(2)`` etc., which are
irrational. The comparisons are exact in int64 as ``y**2 > isqrt(2**(4k+1))`` (``y**2`` is an integer,
the square root irrational); the hardware compares the normalised mantissa ``m = y << (WI-1-k)``
with ``floor(2**(WI-1) * 2**(j/4))`` (:func:`mantissa_thresholds`), which is the same test.

:func:`dequantize` gives the value ``2**-q`` (log2) or ``2**(-q/2)`` (log-sqrt2) times ``2**F``,
floored, for the following attention-times-V product. log-sqrt2's odd codes use
``sqrt(2) ~ SQRT2 / 2**16`` with ``SQRT2 = round(sqrt(2) * 2**16) = 92682`` (relative error 2.2e-6).
"""

from __future__ import annotations

from math import isqrt

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = [
    "log2_quant", "dequantize", "check_params", "check_dequant", "mantissa_thresholds", "SQRT2", "SQRT2_BITS",
    "KERNEL",
]

KERNEL = "log2quant"
SQRT2_BITS = 16
SQRT2 = 92682  # round(sqrt(2) * 2**16)
MODES = {0: "log2", 1: "log-sqrt2"}


def check_params(P: int, WI: int, WO: int, MODE: int) -> None:  # noqa: N803 - HDL names
    """Refuse parameters the kernel cannot implement (the RTL's ``$error`` checks, first).

    Raises:
        KernelParameterError: naming the parameter and what is wrong with it.
    """
    checks = [
        ("P", P >= 1, f"{P} elements per beat must be >= 1"),
        ("WI", 1 <= WI <= 31, f"input width {WI} not in 1..31"),
        ("WO", 1 <= WO <= 8, f"output width {WO} not in 1..8"),
        ("MODE", MODE in MODES, f"mode {MODE} is neither 0 (log2) nor 1 (log-sqrt2)"),
    ]
    for name, ok, problem in checks:
        if not ok:
            raise KernelParameterError(KERNEL, name, problem)


def mantissa_thresholds(WI: int) -> tuple[int, int, int]:  # noqa: N803
    """``floor(2**(WI-1) * 2**(j/4))`` for j = 1, 2, 3: the RTL's mantissa comparison constants."""
    return tuple(isqrt(isqrt(1 << (4 * (WI - 1) + j))) for j in (1, 2, 3))


def log2_quant(y: np.ndarray, WI: int, WO: int, MODE: int) -> np.ndarray:  # noqa: N803
    """The ``WO``-bit log2 (MODE 0) or log-sqrt2 (MODE 1) code of unsigned ``WI``-bit ``y``.

    Raises:
        KernelParameterError: bad parameters, or ``y`` outside ``0 .. 2**WI - 1``.
    """
    check_params(1, WI, WO, MODE)
    y = np.asarray(y, dtype=np.int64)
    if y.size and (y.min() < 0 or y.max() >= 1 << WI):
        raise KernelParameterError(KERNEL, "y", f"values {y.min()}..{y.max()} do not fit {WI} unsigned bits")
    pos = np.maximum(y, 1)
    k = np.frexp(pos.astype(np.float64))[1].astype(np.int64) - 1  # exact: y < 2**53
    sq = pos * pos
    if MODE == 0:
        q = (WI - k) - (sq > np.left_shift(1, 2 * k + 1)).astype(np.int64)
    else:
        t1 = np.array([isqrt(1 << (4 * j + 1)) for j in range(WI)], dtype=np.int64)
        t3 = np.array([isqrt(1 << (4 * j + 3)) for j in range(WI)], dtype=np.int64)
        q = 2 * (WI - k) - (sq > t1[k]).astype(np.int64) - (sq > t3[k]).astype(np.int64)
    top = (1 << WO) - 1
    return np.where(y == 0, top, np.minimum(q, top))


def check_dequant(mode: int, frac_bits: int) -> None:
    """Refuse an unknown mode or dequantized fraction bits outside 0..40 (int64 holds the values).

    Raises:
        KernelParameterError: naming ``MODE`` or ``frac_bits``.
    """
    if mode not in MODES:
        raise KernelParameterError(KERNEL, "MODE", f"mode {mode} is neither 0 (log2) nor 1 (log-sqrt2)")
    if not 0 <= frac_bits <= 40:
        raise KernelParameterError(KERNEL, "frac_bits", f"dequantized fraction bits {frac_bits} not in 0..40")


def dequantize(q: np.ndarray, mode: int, frac_bits: int) -> np.ndarray:
    """The integer ``floor(2**(frac_bits - q))`` (log2) or ``floor(2**(frac_bits - q/2))`` (log-sqrt2).

    Log-sqrt2 codes that are odd are ``2**-ceil(q/2) * sqrt(2)`` with ``sqrt(2) = SQRT2 / 2**16``.
    Codes are exponents only: the all-ones code of ``y == 0`` is the smallest value (0 once
    ``q > frac_bits``), as in FQ-ViT.

    Raises:
        KernelParameterError: an unknown mode, ``frac_bits`` outside 0..40, or a negative code.
    """
    check_dequant(mode, frac_bits)
    q = np.asarray(q, dtype=np.int64)
    if q.size and q.min() < 0:
        raise KernelParameterError(KERNEL, "q", f"negative code {q.min()}")

    def pow2(e: np.ndarray) -> np.ndarray:  # floor(2**e) for integer e (0 below 2**0)
        return np.where(e >= 0, np.left_shift(1, np.clip(e, 0, 62)), 0)

    if mode == 0:
        return pow2(frac_bits - q)
    half = (q + 1) >> 1  # ceil(q / 2)
    t = frac_bits - half - SQRT2_BITS
    odd = np.where(t >= 0, np.left_shift(SQRT2, np.clip(t, 0, 40)), np.right_shift(SQRT2, np.clip(-t, 0, 62)))
    return np.where(q % 2 == 0, pow2(frac_bits - (q >> 1)), odd)
