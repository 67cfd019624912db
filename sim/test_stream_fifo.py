"""hls/stream_fifo in Verilator: values unchanged, order kept, under valid gaps and back-pressure."""

from __future__ import annotations

import numpy as np
import pytest
from harness import Bench, kernel_sources, run_bench
from hwcodesign.hls.stream_fifo.reference import stream_fifo


@pytest.mark.parametrize("p, gap, stall", [(1, 0, 0), (4, 30, 30)])
def test_fifo_passes_every_beat_in_order(tmp_path, rng, p, gap, stall):
    w = 9
    x = rng.integers(0, 1 << w, size=(200, p))
    bench = Bench(
        "stream_fifo",
        kernel_sources("stream_fifo"),
        {"W": w, "P": p, "DEPTH": 4},
        "tb_stream_fifo",
        {"gap_pct": gap, "stall_pct": stall},
    )
    out = run_bench(bench, {"x": x}, tmp_path)
    y = np.asarray(out["y"]).reshape(x.shape)
    expected = stream_fifo(x)
    bad = np.flatnonzero((y != expected).any(axis=1))
    assert bad.size == 0, f"{bad.size} of {len(x)} beats differ, first at {bad[:5]}"
    if not gap and not stall:  # a beat per cycle once the first is through
        cycles = np.diff(out["out_cycles"])
        assert (cycles == 1).all(), f"gaps in the output stream: {np.unique(cycles)}"
