"""layernorm (I-LayerNorm): the NumPy specification of the integer-only LayerNorm.

Integer statistics and an integer square root, as in I-ViT (Li & Gu, ICCV 2023, Sec. 3.5
"I-LayerNorm") and I-BERT (Kim et al., ICML 2021, Sec. 3.6, integer-only LayerNorm, whose
``i-sqrt`` Newton iteration returns the same exact ``floor(sqrt(n))`` computed here digit by
digit). A row holds ``C`` signed ``WI``-bit integers ``x``; the input scale cancels in
``(x - mean) / std``, so only the output format matters::

    S      = sum_i x_i
    mu     = floor(S / C)
    d_i    = x_i - mu
    V      = sum_i d_i**2
    var    = floor(V * 2**(2G) / C)
    sigma  = isqrt(var)                   exact floor square root, ~ std * 2**G
    R      = 0 if sigma == 0 else floor(2**K / sigma)          (one division per row)
    n_i    = (d_i * R) >> (K - G - FO)                          ~ (x - mean) / std * 2**FO
    y_i    = sat_WO(n_i)                                        without affine
    y_i    = sat_WO(((n_i * gamma_i) >> FG) + beta_i)           with affine

``floor`` and ``>>`` round towards minus infinity (arithmetic shifts); ``sat_WO`` clips to the
signed ``WO``-bit range. A row with ``sigma == 0`` (all equal, or a variance below
``2**-2G``) normalises to 0 (then ``y = sat(beta)``). Parameters: ``G`` guard bits of sigma,
``K >= G + FO`` bits of the reciprocal, ``gamma`` (``WG`` bits, ``FG`` fraction bits) and
``beta`` (``WB`` bits, ``FO`` fraction bits) per channel, signed.

The RTL computes ``V`` as ``Q - mu * (2 S - C mu)`` with ``Q = sum x_i**2`` (an exact integer
identity), so it needs one pass over the row.
"""

from __future__ import annotations

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["i_layernorm", "row_stats", "isqrt", "check_params", "sigma_bits", "default_recip_bits"]

KERNEL = "layernorm"


def sigma_bits(wi: int, g: int) -> int:
    """Bits of ``sigma``: ``var < 2**(2 (WI + G - 1))`` for ``WI``-bit inputs, so ``sigma < 2**(WI+G-1)``."""
    return wi + g - 1


def default_recip_bits(wi: int, g: int, fo: int) -> int:
    """``K = WI + G + FO``: the floor of ``2**K / sigma`` then moves ``n`` by less than one LSB."""
    return wi + g + fo


def check_params(
    c: int,
    p: int,
    wi: int,
    wo: int,
    fo: int,
    g: int,
    k: int,
    affine: bool = False,
    wg: int = 8,
    fg: int = 6,
    wb: int = 8,
) -> None:
    """Refuse parameters the kernel cannot implement.

    Raises:
        KernelParameterError: C < 2 or not a multiple of P, a width outside its range, WO too
            narrow for +-1.0 (WO < FO + 2), K < G + FO, or intermediates wider than 62 bits.
    """
    if c < 2:
        raise KernelParameterError(KERNEL, "C", f"C={c}: a row needs at least 2 channels")
    if p < 1 or c % p:
        raise KernelParameterError(KERNEL, "P", f"P={p} does not divide C={c}")
    if not 3 <= wi <= 24:
        raise KernelParameterError(KERNEL, "WI", f"input width {wi} outside 3..24")
    if g < 0 or fo < 0:
        raise KernelParameterError(KERNEL, "G" if g < 0 else "FO", "must be >= 0")
    if not 2 <= wo <= 32 or wo < fo + 2:
        raise KernelParameterError(
            KERNEL, "WO", f"output width {wo} cannot hold +-1.0 with FO={fo} fraction bits (needs FO + 2..32)"
        )
    if k < g + fo:
        raise KernelParameterError(KERNEL, "K", f"K={k} < G + FO = {g + fo}: the reciprocal is too coarse")
    if k > 40:
        raise KernelParameterError(KERNEL, "K", f"K={k} > 40")
    if (c - 1).bit_length() + 2 * wi + 2 * g > 62:
        raise KernelParameterError(
            KERNEL, "G", f"V * 2**(2G) needs more than 62 bits (C={c}, WI={wi}, G={g})"
        )
    if affine:
        if not 2 <= wg <= 18 or not 0 <= fg <= 2 * wg:
            raise KernelParameterError(
                KERNEL, "WG", f"gamma width {wg} outside 2..18 or FG={fg} outside 0..2*WG"
            )
        if not 2 <= wb <= 32:
            raise KernelParameterError(KERNEL, "WB", f"beta width {wb} outside 2..32")
        if wi + g + fo + 3 + wg > 62:
            raise KernelParameterError(KERNEL, "WG", "n * gamma needs more than 62 bits")


def isqrt(n: np.ndarray, bits: int) -> np.ndarray:
    """Exact ``floor(sqrt(n))`` of integers ``0 <= n < 2**(2 bits)``, one result bit per step (as the RTL)."""
    n = np.asarray(n, dtype=np.int64)
    rem = np.zeros_like(n)
    root = np.zeros_like(n)
    for i in range(bits - 1, -1, -1):
        rem = (rem << 2) | ((n >> (2 * i)) & 3)
        trial = (root << 2) | 1
        ge = rem >= trial
        rem = np.where(ge, rem - trial, rem)
        root = (root << 1) | ge
    return root


def row_stats(x: np.ndarray, wi: int, g: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mu, sigma, R)`` of every row (last axis) of ``x``, int64, shaped ``x.shape[:-1]``."""
    x = np.asarray(x, dtype=np.int64)
    c = x.shape[-1]
    mu = np.floor_divide(x.sum(axis=-1), c)
    d = x - mu[..., None]
    var = np.floor_divide((d * d).sum(axis=-1) << (2 * g), c)
    sigma = isqrt(var, sigma_bits(wi, g))
    recip = np.where(sigma > 0, np.floor_divide(1 << k, np.maximum(sigma, 1)), 0)
    return mu, sigma, recip


def i_layernorm(
    x: np.ndarray,
    wi: int,
    wo: int,
    fo: int,
    g: int = 4,
    k: int | None = None,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    fg: int = 6,
) -> np.ndarray:
    """I-LayerNorm of every row (last axis, ``C`` channels) of the ``wi``-bit integers ``x``, int64.

    ``gamma``/``beta`` (both or neither; ``C`` integers each) switch the affine step on.
    ``k`` defaults to :func:`default_recip_bits`.
    """
    if (gamma is None) != (beta is None):
        raise KernelParameterError(KERNEL, "AFFINE", "gamma and beta come together")
    k = default_recip_bits(wi, g, fo) if k is None else k
    x = np.asarray(x, dtype=np.int64)
    mu, _, recip = row_stats(x, wi, g, k)
    n = ((x - mu[..., None]) * recip[..., None]) >> (k - g - fo)
    if gamma is not None:
        n = ((n * np.asarray(gamma, dtype=np.int64)) >> fg) + np.asarray(beta, dtype=np.int64)
    return np.clip(n, -(1 << (wo - 1)), (1 << (wo - 1)) - 1)
