"""Whole-design simulation: a stitched finn-plus design (``stitch.stitch``: ``design.json`` +
``src/``) in Verilator, fed frames back to back, every output beat and its cycle recorded.

The C++ testbench (``deploy/rtl/hwcd_design_tb.cpp``) gets the design's ports from a header
written here; it streams every input as fast as the design takes it (optionally with random
TVALID gaps), drives every output's TREADY (optionally with random stalls), reads every FIFO's
occupancy gauge at the end, and stops at a cycle limit or when no output beat has come for
``idle_limit`` cycles: a deadlock is reported naming the full and empty FIFOs (edges), never a
hang. Timing: latency = cycles from a frame's first input beat to its last output beat
(inclusive); steady-state interval = spacing of frame completions over the second half of the
frames; next to finn-plus' estimates (slowest layer's ``get_exp_cycles``, critical path).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import DeadlockError, InternalError
from ...tools import verilator
from ...tools.process import run_logged
from .axis_sim import SIM_DIR, chunks_to_words, words_to_chunks

__all__ = [
    "TESTBENCH",
    "CXX_OPT",
    "DesignRun",
    "build",
    "run",
    "outputs",
    "timing",
    "idle_limit",
    "simulate_frames",
]

TESTBENCH = Path(__file__).resolve().parents[2] / "deploy" / "rtl" / "hwcd_design_tb.cpp"
#: C++ optimisation of the Verilator model. Tiny int ViT (48 layers, 53 FIFOs), 360 frames = 740k
#: cycles, no ccache: -O0 builds in 27 s, runs 66k cycles/s; -O1 49 s, 242k; -O2 75 s, 245k.
CXX_OPT = "-O1"
DEFINES = ["+define+FINN_SIMULATION", "+define+HWCD_FIFO_GAUGES"]


def _design(folder: Path) -> dict:
    return json.loads((folder / "design.json").read_text())


def _chunks(width: int) -> int:
    return (width + 31) // 32


def _header(design: dict) -> str:
    """design_tb.h: the design's stream ports and sizes for the testbench."""
    ins, outs, top = design["inputs"], design["outputs"], design["top"]

    def arr(values) -> str:
        return ", ".join(str(v) for v in values)

    def switch(sig: str, streams: list[dict], key: str, body: str, ret: str = "") -> str:
        cases = " ".join(
            f"case {k}: {body.format(p=s[key])}{'' if ret else ' break;'}" for k, s in enumerate(streams)
        )
        return f"switch ({sig}) {{ {cases} default: {ret or 'break;'} }}"

    lines = [
        "#pragma once",
        f'#include "V{top}.h"',
        '#include "axis_util.hh"',
        f"using Top = V{top};",
        f"constexpr int N_IN = {len(ins)}, N_OUT = {len(outs)}, N_FIFOS = {len(design['fifos'])};",
        f"constexpr size_t IN_CHUNKS[] = {{{arr(_chunks(s['width']) for s in ins)}}};",
        f"constexpr size_t IN_BEATS[] = {{{arr(s['frame_beats'] for s in ins)}}};",
        f"constexpr size_t OUT_CHUNKS[] = {{{arr(_chunks(s['width']) for s in outs)}}};",
        f"constexpr size_t OUT_BEATS[] = {{{arr(s['frame_beats'] for s in outs)}}};",
        "inline void tie_offs(Top *d) { d->gauge_sel = 0; }",
        "inline void set_clk(Top *d, int v) { d->ap_clk = v; }",
        "inline void set_in(Top *d, int i, const uint32_t *w, bool v) { "
        + switch("i", ins, "in_port", "put_word(d->{p}_TDATA, w); d->{p}_TVALID = v;")
        + " }",
        "inline bool in_ready(Top *d, int i) { "
        + switch("i", ins, "in_port", "return d->{p}_TREADY;", "return false;")
        + " }",
        "inline void set_out_ready(Top *d, int j, bool r) { "
        + switch("j", outs, "out_port", "d->{p}_TREADY = r;")
        + " }",
        "inline bool out_valid(Top *d, int j) { "
        + switch("j", outs, "out_port", "return d->{p}_TVALID;", "return false;")
        + " }",
        "inline void get_out(Top *d, int j, uint32_t *w) { "
        + switch("j", outs, "out_port", "get_word(d->{p}_TDATA, w);")
        + " }",
        "inline void read_gauge(Top *d, int k, unsigned long long *count, unsigned long long *max) {",
        "    d->gauge_sel = k; d->eval(); *count = d->gauge_count; *max = d->gauge_max;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def build(
    folder: Path, workdir: Path, cache_dir: Path | None = None, cxx_opt: str = CXX_OPT
) -> tuple[Path, dict]:
    """The Verilator simulator of the stitched design in ``folder`` (content-cached; ``CXX_OPT``
    says why -O1). Returns (executable, info: build seconds, cached)."""
    design = _design(folder)
    if any(_chunks(s["width"]) > 64 for s in design["outputs"]):
        raise InternalError(
            "an output stream wider than 2048 bits: the design testbench takes up to 64 chunks"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "design_tb.h").write_text(_header(design))
    return verilator.build_cached(
        design["top"],
        tuple(folder / s for s in design["sources"]),
        TESTBENCH,
        workdir,
        (SIM_DIR, workdir),
        verilator.BuildOptions(cxx_opt=cxx_opt),
        cache_dir,
        extra_args=DEFINES,
    )


@dataclass
class DesignRun:
    """One simulation of a stitched design: every output beat (word and cycle), each frame's
    first input beat, the FIFO gauges, and the testbench's statistics."""

    mode: str
    n_frames: int
    words: list[list[int]]
    out_cycles: list[np.ndarray]
    frame_start: np.ndarray
    out_beats: list[int]
    fifo_max: list[int]
    fifo_count: list[int]
    cycles: int
    info: dict = field(default_factory=dict)

    @property
    def frame_end(self) -> np.ndarray:
        """The cycle of each frame's last output beat (the latest over the outputs)."""
        ends = [c[n - 1 :: n][: self.n_frames] for c, n in zip(self.out_cycles, self.out_beats, strict=True)]
        return np.max(ends, axis=0)

    def summary(self) -> dict:
        return {
            "mode": self.mode,
            "frames": self.n_frames,
            "cycles": self.cycles,
            "fifo_max": self.fifo_max,
            **self.info,
        }


def idle_limit(design: dict) -> int:
    """Cycles without an output beat after which the run is a deadlock: far more than any
    frame's latency (the layers' cycles all added up, plus pipeline slack per layer)."""
    return 4 * sum(layer["exp_cycles"] for layer in design["layers"]) + 200 * len(design["layers"]) + 10_000


def _input_files(design: dict, frames: list, workdir: Path) -> list[Path]:
    """Each graph input's frames packed as finn-plus packs streams (``npy_to_rtlsim_input``)."""
    from finn.util.data_packing import npy_to_rtlsim_input
    from qonnx.core.datatype import DataType

    files = []
    for k, s in enumerate(design["inputs"]):
        values = [f[s["tensor"]] if isinstance(f, dict) else f for f in frames]
        arr = np.stack([np.asarray(v, dtype=np.float32).reshape(s["folded_shape"]) for v in values])
        words = npy_to_rtlsim_input(arr.reshape(-1, s["folded_shape"][-1]), DataType[s["dtype"]], s["width"])
        path = workdir / f"in{k}.bin"
        words_to_chunks(words, s["width"]).tofile(path)
        files.append(path.resolve())
    return files


def run(
    exe: Path,
    folder: Path,
    frames: list,
    workdir: Path,
    gap_pct: int = 0,
    stall_pct: int = 0,
    frame_interval: int = 0,
    seed: int = 1,
    check: bool = True,
) -> DesignRun:
    """Stream ``frames`` (per frame: the graph input's value, or a dict by input tensor) through
    the simulator ``exe`` of the design in ``folder``; ``gap_pct`` / ``stall_pct``: random input
    TVALID gaps and output TREADY stalls; ``frame_interval``: frame f enters no earlier than
    cycle f * frame_interval (0: back to back). The memory files are read from ``src/memfiles``.

    Raises:
        DeadlockError: a deadlock or the cycle limit (when ``check``), naming the full and empty
            FIFOs with suggested depths.
    """
    design = _design(folder)
    if not frames:
        raise ValueError("no frames to simulate")
    workdir.mkdir(parents=True, exist_ok=True)
    files = _input_files(design, frames, workdir)
    n = len(frames)
    idle = idle_limit(design)
    slowest = max(layer["exp_cycles"] for layer in design["layers"])
    max_cycles = idle + n * (frame_interval + 20 * slowest) * (2 if gap_pct or stall_pct else 1)
    prefix = (workdir / "out").resolve()
    mode = "back_to_back" if not frame_interval else f"paced_{frame_interval}"
    mode += f"_gaps{gap_pct}_stalls{stall_pct}" if gap_pct or stall_pct else ""
    res = run_logged(
        "design-sim",
        [exe.resolve(), prefix, max_cycles, idle, gap_pct, stall_pct, seed, frame_interval, n, *files],
        (folder / design["memfiles"]).resolve(),
        workdir / "sim.log",
        check=False,
    )
    text = res.log().strip()
    if not text.endswith("}"):
        from ...errors import ToolError
        from ...tools.process import tail

        raise ToolError("design simulation", res.command, workdir, res.returncode, tail(text), res.log_file)
    stats = json.loads(text.splitlines()[-1])
    stuck = stats["deadlock"] or stats["timed_out"]
    info = {
        "sim_seconds": round(res.seconds, 3),
        "gap_pct": gap_pct,
        "stall_pct": stall_pct,
        "frame_interval": frame_interval,
        "seed": seed,
        "deadlock": stuck,
        "stuck": _stuck_message(design, stats, idle, n) if stuck else "",
        "full_depths": _frame_depths(design, stats["fifo_count"]),
        "filled_depths": _frame_depths(design, stats["fifo_max"]),
    }
    result = _collect(design, prefix, stats, n, mode, info)
    if check and result.info["deadlock"]:
        raise DeadlockError(result.info["stuck"])
    return result


def _frame_depths(design: dict, occupancy: list[int]) -> dict[str, int]:
    """Edge -> frame depth of the FIFOs whose ``occupancy`` reached their depth."""
    return {
        f["tensor"]: f["frame_beats"]
        for f, c in zip(design["fifos"], occupancy, strict=True)
        if c >= f["depth"]
    }


def _collect(design: dict, prefix: Path, stats: dict, n: int, mode: str, info: dict) -> DesignRun:
    """The testbench's files as a DesignRun."""
    words, cycles = [], []
    for j, s in enumerate(design["outputs"]):
        words.append(chunks_to_words(np.fromfile(f"{prefix}{j}.bin", dtype=np.uint32), s["width"]))
        cycles.append(np.fromfile(f"{prefix}{j}.bin.cycles", dtype=np.uint64).astype(np.int64))
    starts = [
        np.fromfile(f"{prefix}in{i}.frames", dtype=np.uint64).astype(np.int64)
        for i in range(len(design["inputs"]))
    ]
    m = min(len(s) for s in starts)
    return DesignRun(
        mode=mode,
        n_frames=n,
        words=words,
        out_cycles=cycles,
        frame_start=np.min([s[:m] for s in starts], axis=0),
        out_beats=[s["frame_beats"] for s in design["outputs"]],
        fifo_max=[int(v) for v in stats["fifo_max"]],
        fifo_count=[int(v) for v in stats["fifo_count"]],
        cycles=int(stats["cycles"]),
        info=info,
    )


def _stuck_message(design: dict, stats: dict, idle: int, n: int) -> str:
    """What a stuck design looks like: which FIFOs are full (the edge to deepen), which empty."""
    fifos, count = design["fifos"], stats["fifo_count"]
    what = (
        f"deadlock: no output beat for {idle} cycles"
        if stats["deadlock"]
        else f"cycle limit {stats['cycles']} reached (the design is far slower than finn-plus' estimate)"
    )
    outs = ", ".join(
        f"{s['out_port']} {b // s['frame_beats']} of {n} frames"
        for s, b in zip(design["outputs"], stats["out_beats"], strict=True)
    )
    ins = ", ".join(
        f"{s['in_port']} {b} beats{' (waiting)' if w else ''}"
        for s, b, w in zip(design["inputs"], stats["in_beats"], stats["in_waiting"], strict=True)
    )
    parts = [f"{what} (cycle {stats['cycles']}; out: {outs}; in: {ins})"]
    full = [(f, c) for f, c in zip(fifos, count, strict=True) if c >= f["depth"]]
    for f, c in full:
        empty = [
            g["tensor"]
            for g, d in zip(fifos, count, strict=True)
            if g["consumer"] == f["consumer"] and g is not f and d == 0
        ]
        suggest = f["frame_beats"] if f["depth"] < f["frame_beats"] else 2 * f["depth"]
        parts.append(
            f"FIFO full: edge '{f['tensor']}' ({f['producer']}.{f['out']} -> {f['consumer']}.{f['in']}) "
            f"holds {c} of {f['depth']} beats"
            + (f" while {f['consumer']} waits on empty edge(s) {', '.join(empty)}" if empty else "")
            + f"; suggested depth {suggest} (one frame of the edge: {f['frame_beats']} beats)"
        )
    if not full:
        empty = [f"'{f['tensor']}'" for f, c in zip(fifos, count, strict=True) if c == 0]
        parts.append(f"no FIFO is full; empty edges: {', '.join(empty[:8]) or 'none'} (a layer stopped)")
    return "; ".join(parts)


def outputs(folder: Path, result: DesignRun) -> list[np.ndarray]:
    """Each graph output's values, ``[n_frames, *shape]`` (unpacked as finn-plus unpacks)."""
    from finn.util.data_packing import rtlsim_output_to_npy
    from qonnx.core.datatype import DataType

    out = []
    for s, words in zip(_design(folder)["outputs"], result.words, strict=True):
        dt = DataType[s["dtype"]]
        n = len(words) // s["frame_beats"]
        fold = [n * s["frame_beats"], s["folded_shape"][-1]]
        arr = rtlsim_output_to_npy(words[: n * s["frame_beats"]], None, dt, fold, s["width"], dt.bitwidth())
        out.append(np.asarray(arr).reshape(n, *s["shape"][1:] if s["shape"][0] == 1 else s["shape"]))
    return out


def timing(result: DesignRun, clock_ns: float) -> dict:
    """Latency (first frame; median over the second half of the frames: under back-to-back load)
    and the steady-state interval between frame completions, in cycles, ns and frames/s."""
    start, end = result.frame_start, result.frame_end
    m = min(len(start), len(end))
    latency = end[:m] - start[:m] + 1
    half = m // 2
    interval = float((end[m - 1] - end[half]) / (m - 1 - half)) if m - 1 > half else None
    return {
        "frames": m,
        "first_latency_cycles": int(latency[0]),
        "first_latency_ns": float(latency[0] * clock_ns),
        "steady_latency_cycles": float(np.median(latency[half:])),
        "interval_cycles": interval,
        "frames_per_s": 1e9 / (interval * clock_ns) if interval else None,
        "total_cycles": int(end[m - 1] - start[0] + 1),
    }


def simulate_frames(
    folder: Path,
    frames: list,
    workdir: Path,
    clock_ns: float,
    cache_dir: Path | None = None,
    stall_pct: int = 30,
) -> dict:
    """The design in ``folder`` on ``frames``: back to back (outputs, frame interval, first-frame
    latency), paced at that interval (latency when frames come at the rate the design sustains),
    and with ``stall_pct`` % random input gaps and output stalls (outputs under back-pressure).
    Returns outputs (per graph output ``[n, *shape]``), those of the stalled run, timing, runs."""
    exe, info = build(folder, workdir, cache_dir)
    b2b = run(exe, folder, frames, workdir / "back_to_back")
    t = timing(b2b, clock_ns)
    interval = int(np.ceil(t["interval_cycles"] or 0))
    paced = run(exe, folder, frames, workdir / "paced", frame_interval=interval)
    stalled = run(exe, folder, frames, workdir / "stalls", gap_pct=stall_pct, stall_pct=stall_pct, seed=7)
    t_paced = timing(paced, clock_ns)
    t.update(
        paced_interval_cycles=interval,
        steady_latency_cycles=t_paced["steady_latency_cycles"],
        steady_latency_ns=t_paced["steady_latency_cycles"] * clock_ns,
        back_to_back_latency_cycles=t["steady_latency_cycles"],
    )
    sim_s = b2b.info["sim_seconds"]
    return {
        "build": info,
        "outputs": outputs(folder, b2b),
        "outputs_stalls": outputs(folder, stalled),
        "timing": t,
        "cycles_per_second": round(b2b.cycles / sim_s) if sim_s else None,
        "runs": {r.mode: r.summary() for r in (b2b, paced, stalled)},
        "frame_end": b2b.frame_end,
        "frame_start": b2b.frame_start,
    }
