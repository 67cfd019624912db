"""stream_matmul: the NumPy specification (exact integer product of two activation matrices).

Attention multiplies activations by activations, per head: ``Q . K^T`` (scores) and ``A . V``
(probabilities times values). The kernel computes ``C = A . B^T`` (``transpose_b``, B is ``N x D``:
``B = K``, ``N`` tokens, ``D`` head size) or ``C = A . B`` (B is ``D x N``: ``B = V``, ``D``
tokens, ``N`` head size) on integers, exactly: ``C[m, n] = sum_d A[m, d] * B'[d, n]`` with
``B' = B^T`` or ``B``; no rounding, no saturation (the sum always fits the output width
``WO >= WA + WB + ceil(log2 D)``, signed); a following threshold layer requantises. A is ``M x D``,
signed (``WA`` bits) or unsigned (``a_signed=False``, softmax probabilities); B is signed (``WB``
bits). With po2 scales ``2**-Fa``, ``2**-Fb`` the real product is ``C * 2**-(Fa + Fb)``.

Streams (``P`` elements per beat, element ``k`` in bits ``[k*W +: W]``, every matrix row after
row): ``s_axis_b`` carries B (``b.reshape(-1)``), ``s_axis_a`` carries A (``a.reshape(-1)``),
``m_axis`` carries C (``c.reshape(-1)``). All of B is received before the first row of A is used;
each row of A then gives one row of C. Several matrices (leading axes) follow each other.
"""

from __future__ import annotations

import math

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["stream_matmul", "check_params", "output_width", "hdl_parameters", "MAX_OUTPUT_WIDTH"]

KERNEL = "stream_matmul"
MAX_OUTPUT_WIDTH = 63  # the reference computes in int64


def output_width(width_a: int, width_b: int, inner: int) -> int:
    """``WA + WB + ceil(log2 D)``: the signed width that holds every sum of ``D`` products."""
    return width_a + width_b + math.ceil(math.log2(inner)) if inner > 1 else width_a + width_b


def check_params(
    width_a: int, width_b: int, width_out: int, parallel: int, rows: int, inner: int, cols: int
) -> None:
    """Refuse what the hardware cannot do: ``P`` not dividing ``D`` (``inner``) and ``N``
    (``cols``), an output width below :func:`output_width` or above 63, a size below 1.

    Raises:
        KernelParameterError: naming the parameter.
    """
    for name, v in (
        ("WA", width_a),
        ("WB", width_b),
        ("P", parallel),
        ("M", rows),
        ("D", inner),
        ("N", cols),
    ):
        if v < 1:
            raise KernelParameterError(KERNEL, name, f"{v} < 1")
    for name, v in (("D", inner), ("N", cols)):
        if v % parallel:
            raise KernelParameterError(KERNEL, name, f"{v} is not a multiple of P={parallel}")
    need = output_width(width_a, width_b, inner)
    if width_out < need:
        raise KernelParameterError(
            KERNEL,
            "WO",
            f"{width_out} bits cannot hold a sum of {inner} products of {width_a} x {width_b} bits; "
            f"use WO >= {need}",
        )
    if width_out > MAX_OUTPUT_WIDTH:
        raise KernelParameterError(KERNEL, "WO", f"{width_out} bits > {MAX_OUTPUT_WIDTH} (int64 reference)")


def hdl_parameters(
    width_a: int,
    width_b: int,
    parallel: int,
    rows: int,
    inner: int,
    cols: int,
    *,
    transpose_b: bool,
    a_signed: bool = True,
    width_out: int | None = None,
) -> dict[str, int]:
    """The SystemVerilog parameters; ``width_out`` defaults to :func:`output_width`.

    Raises:
        KernelParameterError: see :func:`check_params`.
    """
    wo = output_width(width_a, width_b, inner) if width_out is None else width_out
    check_params(width_a, width_b, wo, parallel, rows, inner, cols)
    return {
        "WA": width_a,
        "WB": width_b,
        "WO": wo,
        "P": parallel,
        "M": rows,
        "D": inner,
        "N": cols,
        "TRANSPOSE_B": int(transpose_b),
        "A_SIGNED": int(a_signed),
    }


def stream_matmul(a: np.ndarray, b: np.ndarray, *, transpose_b: bool) -> np.ndarray:
    """``a . b^T`` (``transpose_b``; ``b`` is ``..., N, D``) or ``a . b`` (``b`` is ``..., D, N``) in
    int64; ``a`` is ``..., M, D``; the result is ``..., M, N``.

    Raises:
        ValueError: the inner dimensions differ.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    bt = np.swapaxes(b, -1, -2) if transpose_b else b
    if a.shape[-1] != bt.shape[-2]:
        raise ValueError(
            f"A {a.shape} and B {b.shape} (transpose_b={transpose_b}) have different inner sizes"
        )
    return np.matmul(a, bt)
