"""Writing and compiling hls4ml projects anywhere: hls4ml's ``build_lib.sh`` re-parses its
folder's path, so projects are converted, compiled and run in a plain private folder, then
copied to their destination."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ...tools.workdir import plain_workdir

__all__ = ["emulate"]


def emulate(
    convert: Callable[[Path], object], x: np.ndarray, destination: Path | None = None
) -> tuple[np.ndarray, float]:
    """``convert(output_dir)`` builds an hls4ml model; it is compiled and run on ``x``.

    The project is copied to ``destination`` when given. Returns (outputs as (n, -1)
    float64, compile seconds).
    """
    with plain_workdir("hls4ml") as wd:
        hls_model = convert(wd / "project")
        t0 = time.perf_counter()
        hls_model.compile()
        compile_s = time.perf_counter() - t0
        y = np.asarray(hls_model.predict(np.ascontiguousarray(x)), dtype=np.float64).reshape(len(x), -1)
        if destination is not None:
            shutil.copytree(wd / "project", destination, symlinks=True)
    return y, compile_s
