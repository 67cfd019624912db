"""stream_transpose: the NumPy specification (a token matrix turned channel-major).

Input: a ``T x C`` matrix row after row, ``P`` consecutive channels of one row per beat (element
``k`` of a beat in bits ``[k*W +: W]``), element order ``x.reshape(-1)``. Output: the ``C x T``
transpose row after row, i.e. ``P`` consecutive rows (tokens) of one channel per beat, element order
``x.T.reshape(-1)``. A stream of several matrices (``x`` of shape ``(..., T, C)``) is transposed
matrix by matrix. Values are not changed.
"""

from __future__ import annotations

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["stream_transpose", "check_params"]

KERNEL = "stream_transpose"


def check_params(width: int, parallel: int, rows: int, cols: int) -> None:
    """Refuse what the hardware cannot do: ``parallel`` (``P``) not dividing ``rows`` (``T``) and
    ``cols`` (``C``), a size below 1.

    Raises:
        KernelParameterError: naming the parameter.
    """
    for name, v in (("W", width), ("P", parallel), ("T", rows), ("C", cols)):
        if v < 1:
            raise KernelParameterError(KERNEL, name, f"{v} < 1")
    for name, v in (("T", rows), ("C", cols)):
        if v % parallel:
            raise KernelParameterError(
                KERNEL, name, f"{v} is not a multiple of P={parallel} (beats of the input and of the output)"
            )


def stream_transpose(x: np.ndarray) -> np.ndarray:
    """The transposes (``..., C, T``) of the ``T x C`` matrices ``x`` (``..., T, C``).

    Raises:
        ValueError: ``x`` has fewer than two axes.
    """
    x = np.asarray(x, dtype=np.int64)
    if x.ndim < 2:
        raise ValueError(f"a matrix (or a stack of them) is needed, got shape {x.shape}")
    return np.swapaxes(x, -1, -2).copy()
