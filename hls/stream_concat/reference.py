"""stream_concat: the NumPy specification (channel slices joined into one token stream).

The inverse of ``stream_split``. Input ``k`` is a ``T x C_k`` token stream (row after row, ``P``
channels per beat, element ``k`` of a beat in bits ``[k*W +: W]``; element order
``x_k.reshape(-1)``); the output is the ``T x C`` matrix (``C = sum C_k``) whose row ``t`` is row
``t`` of input 0, then row ``t`` of input 1, ...: ``np.concatenate(xs, axis=1)``, row after row.
Each ``C_k`` is a multiple of ``P``, so every output beat comes from one input. Values are not
changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["stream_concat", "check_params", "hdl_parameters", "MAX_INPUTS"]

KERNEL = "stream_concat"
MAX_INPUTS = 4


def check_params(width: int, parallel: int, sizes: Sequence[int]) -> None:
    """Refuse what the hardware cannot do: ``K = len(sizes)`` outside 2..4, a slice that is not a
    positive multiple of ``parallel`` (``P``), a width below 1.

    Raises:
        KernelParameterError: naming the parameter.
    """
    if width < 1:
        raise KernelParameterError(KERNEL, "W", f"element width {width} < 1")
    if parallel < 1:
        raise KernelParameterError(KERNEL, "P", f"{parallel} elements per beat < 1")
    if not 2 <= len(sizes) <= MAX_INPUTS:
        raise KernelParameterError(
            KERNEL,
            "K",
            f"{len(sizes)} slices; the kernel has 2..{MAX_INPUTS} inputs (cascade concats for more)",
        )
    for k, c in enumerate(sizes):
        if c < 1 or c % parallel:
            raise KernelParameterError(
                KERNEL, f"C{k}", f"slice of {c} channels is not a positive multiple of P={parallel}"
            )


def hdl_parameters(width: int, parallel: int, sizes: Sequence[int]) -> dict[str, int]:
    """The SystemVerilog parameters (``W, P, K, C0..C3``; unused slices are 0).

    Raises:
        KernelParameterError: see :func:`check_params`.
    """
    check_params(width, parallel, sizes)
    padded = list(sizes) + [0] * (MAX_INPUTS - len(sizes))
    return {"W": width, "P": parallel, "K": len(sizes), **{f"C{k}": c for k, c in enumerate(padded)}}


def stream_concat(xs: Sequence[np.ndarray]) -> np.ndarray:
    """The ``T x C`` output matrix of the ``T x C_k`` input matrices ``xs``.

    Raises:
        ValueError: the inputs are not matrices with the same number of rows.
    """
    xs = [np.asarray(x, dtype=np.int64) for x in xs]
    if any(x.ndim != 2 or x.shape[0] != xs[0].shape[0] for x in xs):
        raise ValueError(f"inputs of shapes {[x.shape for x in xs]} are not T x C_k matrices with one T")
    return np.concatenate(xs, axis=1)
