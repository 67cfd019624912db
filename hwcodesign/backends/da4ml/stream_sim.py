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

from ...tools import verilator
from ...tools.process import run_logged
from .project import TOP, WRAPPER, RtlProject, decode_outputs, encode_inputs

__all__ = [
    "StreamDesign",
    "StreamRun",
    "design_of",
    "sim_sources",
    "build_stream_sim",
    "run_stream_sim",
    "simulate",
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


def sim_sources(project: RtlProject, flat_dir: Path, flatten: bool) -> tuple[Path, ...]:
    """Verilog for the simulator: da4ml's files, with operator instances flattened into
    assigns when asked (see ``verilog.py``); synthesis keeps using the originals."""
    files = sorted(project.src.glob("*.v"))
    if flatten:
        from .verilog import flatten_file

        flat_dir.mkdir(parents=True, exist_ok=True)
        rewritten = []
        for p in files:
            if p.stem.startswith(f"{TOP}_stage"):
                flatten_file(p, flat_dir / p.name)
                rewritten.append(flat_dir / p.name)
            else:
                rewritten.append(p)
        files = rewritten
    return tuple(files) + tuple(sorted((project.src / "static").glob("*.v")))


def design_of(project: RtlProject, sources: tuple[Path, ...]) -> StreamDesign:
    """The streaming design of a da4ml project (its flat-port wrapper)."""
    return StreamDesign(
        top=WRAPPER,
        sources=sources,
        include_dirs=(project.src, project.src / "static", project.folder / "sim"),
        n_inp=project.n_in,
        n_out=project.n_out,
        inp_bw=project.in_bits,
        out_bw=project.out_bits,
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
    if "$readmem file not found" in res.log():
        from ...errors import ToolError
        from ...tools.process import tail

        raise ToolError(
            "verilator-sim (a lookup table file is missing)",
            res.command,
            cwd or workdir,
            0,
            tail(res.log()),
            res.log_file,
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


@dataclass(frozen=True)
class StreamRun:
    """Outputs of one streamed test set and what was measured."""

    outputs: np.ndarray  # (samples, n_out) decoded values, aligned to the inputs
    latency: LatencyMatch
    build: dict  # seconds, cached, key
    sim_seconds: float


def simulate(
    project: RtlProject,
    x: np.ndarray,
    reference: np.ndarray,
    workdir: Path,
    options: verilator.BuildOptions | None = None,
    flatten: bool = True,
    cache_dir: Path | None = None,
    on_stage=None,
) -> StreamRun:
    """Build (or reuse) the simulator, stream ``x`` one sample per clock, and align the
    outputs to the inputs by the lag at which they equal ``reference`` (outputs of another
    implementation, same encoding)."""
    stage = on_stage or (lambda what, done: None)
    design = design_of(project, sim_sources(project, workdir / "src", flatten))
    stage("Verilator build", False)
    exe, build = build_stream_sim(design, workdir, options, cache_dir)
    stage("Verilator build", True)
    n = len(x)
    max_lag = project.stages + 16
    raw, stats = run_stream_sim(
        exe,
        encode_inputs(x, project.kif_in),
        project.n_out,
        n + max_lag,
        workdir,
        cwd=project.src / "memfiles",
    )
    per_cycle = decode_outputs(raw, project.kif_out)
    match = measure_latency(per_cycle, reference.reshape(n, -1), max_lag)
    lag = match.latency_cycles if match.latency_cycles is not None else 0
    return StreamRun(per_cycle[lag : lag + n], match, build, float(stats["seconds"]))
