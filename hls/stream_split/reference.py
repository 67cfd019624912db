"""stream_split: the NumPy specification (channel slices of a token stream).

A token stream is a ``T x C`` matrix sent row after row (token after token), ``P`` channels per
beat, element ``k`` of a beat in bits ``[k*W +: W]`` (finn-plus' layout for transformer tokens);
the stream's element order is ``x.reshape(-1)``. The split cuts every row into ``K`` consecutive
channel slices of ``C_0, ..., C_{K-1}`` channels (``sum C_k = C``, each a multiple of ``P``, so
every beat belongs to one slice): output ``k`` is the ``T x C_k`` matrix
``x[:, C_0+..+C_{k-1} : C_0+..+C_k]``, again row after row. Values are not changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["stream_split", "check_params", "hdl_parameters", "MAX_OUTPUTS"]

KERNEL = "stream_split"
MAX_OUTPUTS = 4


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
    if not 2 <= len(sizes) <= MAX_OUTPUTS:
        raise KernelParameterError(
            KERNEL,
            "K",
            f"{len(sizes)} slices; the kernel has 2..{MAX_OUTPUTS} outputs (cascade splits for more)",
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
    padded = list(sizes) + [0] * (MAX_OUTPUTS - len(sizes))
    return {"W": width, "P": parallel, "K": len(sizes), **{f"C{k}": c for k, c in enumerate(padded)}}


def stream_split(x: np.ndarray, sizes: Sequence[int]) -> list[np.ndarray]:
    """The ``K`` output matrices of the ``T x C`` matrix ``x`` cut into channel slices ``sizes``.

    Raises:
        ValueError: the slices do not add up to ``C``.
    """
    x = np.asarray(x, dtype=np.int64)
    if x.ndim != 2 or sum(sizes) != x.shape[1]:
        raise ValueError(f"slices {list(sizes)} do not cut a T x C matrix of shape {x.shape}")
    edges = np.cumsum([0, *sizes])
    return [x[:, a:b].copy() for a, b in zip(edges[:-1], edges[1:], strict=True)]
