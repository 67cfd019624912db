"""stream_replicate: the NumPy specification (one stream copied to ``K`` streams).

Every output carries every input beat, in order, unchanged: output ``k`` is the input for
``k = 0..K-1`` (``K`` = 2..4). The stream's shape does not matter (beats of ``P`` elements of ``W``
bits, element ``k`` in bits ``[k*W +: W]``); only the outputs' independent handshakes do.
"""

from __future__ import annotations

import numpy as np

from hwcodesign.errors import KernelParameterError

__all__ = ["stream_replicate", "check_params", "MAX_OUTPUTS"]

KERNEL = "stream_replicate"
MAX_OUTPUTS = 4


def check_params(width: int, parallel: int, copies: int) -> None:
    """Refuse what the hardware cannot do: ``copies`` (``K``) outside 2..4, a width or ``P`` below 1.

    Raises:
        KernelParameterError: naming the parameter.
    """
    if width < 1:
        raise KernelParameterError(KERNEL, "W", f"element width {width} < 1")
    if parallel < 1:
        raise KernelParameterError(KERNEL, "P", f"{parallel} elements per beat < 1")
    if not 2 <= copies <= MAX_OUTPUTS:
        raise KernelParameterError(
            KERNEL,
            "K",
            f"{copies} copies; the kernel has 2..{MAX_OUTPUTS} outputs (cascade replicates for more)",
        )


def stream_replicate(x: np.ndarray, copies: int) -> list[np.ndarray]:
    """The ``copies`` output streams of ``x`` (any shape): ``copies`` copies of ``x``."""
    x = np.asarray(x, dtype=np.int64)
    return [x.copy() for _ in range(copies)]
