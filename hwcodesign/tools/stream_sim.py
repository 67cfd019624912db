"""Cycle-accurate streaming simulation of a pipelined design in Verilator.

``sim/da4ml_stream_tb.cpp`` feeds one sample per clock and records the output of every
cycle; ``measure_latency`` then finds, from the data alone, the lag after which the
recorded outputs equal the reference outputs. Builds are cached by content hash, so a
second run of an unchanged design skips the (slow) C++ compile.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import verilator
from ._process import run_logged

__all__ = [
    "StreamDesign",
    "build_stream_sim",
    "run_stream_sim",
    "measure_latency",
    "LatencyMatch",
    "TESTBENCH",
]

TESTBENCH = Path(__file__).resolve().parents[2] / "sim" / "da4ml_stream_tb.cpp"


@dataclass(frozen=True)
class StreamDesign:
    """A design with ports clk, model_inp[N_INP*INP_BW], model_out[N_OUT*OUT_BW]."""

    top: str
    sources: tuple[Path, ...]
    include_dirs: tuple[Path, ...]
    n_inp: int
    n_out: int
    inp_bw: int
    out_bw: int

    def config_header(self) -> str:
        """``tb_config.h`` for the testbench (a header, not -D flags: no shell quoting)."""
        return (
            f'#pragma once\n#include "V{self.top}.h"\n#define TOP_CLASS V{self.top}\n'
            f"#define N_INP {self.n_inp}\n#define N_OUT {self.n_out}\n"
            f"#define INP_BW {self.inp_bw}\n#define OUT_BW {self.out_bw}\n"
        )


def build_stream_sim(
    design: StreamDesign,
    workdir: Path,
    options: verilator.BuildOptions | None = None,
    cache_dir: Path | None = None,
    timeout_s: float | None = None,
) -> tuple[Path, dict]:
    """Build (or fetch from the cache) the simulator executable.

    Returns (executable, info) where info holds seconds, cached flag, cache key, log path.
    """
    (workdir / "tb_config.h").parent.mkdir(parents=True, exist_ok=True)
    (workdir / "tb_config.h").write_text(design.config_header())
    return verilator.build_cached(
        design.top,
        design.sources,
        TESTBENCH,
        workdir,
        (*design.include_dirs, workdir),
        options,
        cache_dir,
        timeout_s,
    )


def run_stream_sim(
    exe: Path,
    inputs: np.ndarray,
    n_out: int,
    n_cycles: int,
    workdir: Path,
    cwd: Path | None = None,
    timeout_s: float | None = None,
) -> tuple[np.ndarray, dict]:
    """Stream ``inputs`` (int32, samples x N_INP) through the design for ``n_cycles``.

    ``cwd`` is where the design's ``$readmem`` files are. Returns (outputs per cycle as
    int32 of shape (n_cycles, n_out), {"cycles", "samples", "seconds"}).
    """
    inp_file = workdir / "inputs.bin"
    out_file = workdir / "outputs.bin"
    np.ascontiguousarray(inputs, dtype=np.int32).tofile(inp_file)
    res = run_logged(
        "verilator-sim",
        [exe.resolve(), inp_file.resolve(), len(inputs), out_file.resolve(), n_cycles],
        cwd or workdir,
        workdir / "sim.log",
        timeout_s=timeout_s,
    )
    stats = json.loads(res.log().strip().splitlines()[-1])
    outputs = np.fromfile(out_file, dtype=np.int32).reshape(n_cycles, n_out)
    out_file.unlink()
    inp_file.unlink()
    return outputs, stats


@dataclass(frozen=True)
class LatencyMatch:
    latency_cycles: int | None  # lag at which outputs match best
    matched_fraction: float  # fraction of samples whose output matched at that lag
    lags_tried: Sequence[int]


def measure_latency(per_cycle: np.ndarray, reference: np.ndarray, max_lag: int) -> LatencyMatch:
    """Find the lag L such that ``per_cycle[k + L] == reference[k]`` for the most samples k.

    ``per_cycle`` holds the output recorded after each clock edge while sample t was fed
    at edge t; ``reference`` the expected outputs (same encoding). L counts register
    stages between input and output (0 for combinational logic).
    """
    n = len(reference)
    best = LatencyMatch(None, 0.0, range(max_lag + 1))
    for lag in range(max_lag + 1):
        if lag + n > len(per_cycle):
            break
        frac = float(np.mean(np.all(per_cycle[lag : lag + n] == reference, axis=1)))
        if frac > best.matched_fraction:
            best = LatencyMatch(lag, frac, best.lags_tried)
            if frac == 1.0:
                break
    return best
