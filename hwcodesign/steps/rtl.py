"""Step ``rtl``: da4ml RTL of the quantized model, simulated cycle-accurately in Verilator.

The whole test set (or ``target.rtl.max_samples``) is streamed through the pipeline one
sample per clock. Latency (cycles) and initiation interval are measured from the data,
and every output is compared with the hls4ml emulation and with Keras.

Writes ``rtl/da4ml/`` (Verilog, memory files, Vivado/Quartus scripts, metadata.json),
``rtl/sim/`` (the simulator and its logs) and ``rtl/rtl_outputs.npz``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..frameworks import versions
from ..records import Metric, StepResult
from ..run import Run
from ..tools import stream_sim, verilator
from ..train.metrics import identical_fraction
from .data import load_dataset
from .train import load_quantized_model

__all__ = ["step_rtl", "trace_to_rtl", "rtl_io", "sim_sources", "encode_inputs", "decode_outputs", "PROJECT"]

log = logging.getLogger(__name__)

PROJECT = "model"  # module name of the generated RTL


def trace_to_rtl(model, out: Path, latency_cutoff: float, clock_ns: float, part: str):
    """Trace an HGQ2 model with da4ml and write its pipelined Verilog project to ``out``.

    Returns (RTLModel, seconds spent tracing).
    """
    from da4ml.codegen import RTLModel
    from da4ml.converter import trace_model
    from da4ml.trace import comb_trace

    t0 = time.perf_counter()
    inp, outp = trace_model(model)
    comb = comb_trace(inp, outp)
    trace_s = time.perf_counter() - t0
    rtl = RTLModel(
        comb,
        PROJECT,
        out,
        flavor="verilog",
        latency_cutoff=latency_cutoff,
        part_name=part,
        clock_period=clock_ns,
        print_latency=False,
    )
    rtl.write()
    return rtl, trace_s


def rtl_io(rtl) -> tuple[tuple[int, int, int], tuple[int, int, int], int, int]:
    from da4ml.codegen.rtl.rtl_model import get_io_kifs

    kin, kout = get_io_kifs(rtl._solution)
    kif_in = tuple(int(np.max(a)) for a in kin)
    kif_out = tuple(int(np.max(a)) for a in kout)
    return kif_in, kif_out, len(kin[0]), len(kout[0])


def encode_inputs(x: np.ndarray, kif_in: tuple[int, int, int]) -> np.ndarray:
    """Float inputs -> integers in units of the input LSB (as da4ml's own emulator does)."""
    return (
        np.floor(x.reshape(len(x), -1).astype(np.float64) * 2.0 ** kif_in[2])
        .astype(np.int64)
        .astype(np.int32)
    )


def decode_outputs(raw: np.ndarray, kif_out: tuple[int, int, int]) -> np.ndarray:
    """Raw output bits (uniform width k+i+f) -> the fixed-point values they encode."""
    k, i, f = kif_out
    a, b = 2 ** (k + i + f), k * 2 ** (i + f)
    return (((raw.astype(np.int64) + b) % a - b) * 2.0**-f).astype(np.float64)


def sim_sources(src: Path, flat_dir: Path, flatten: bool) -> tuple[Path, ...]:
    """Verilog for the simulator: da4ml's files, with operator instances flattened into
    assigns when asked (see hwcodesign.verilog); synthesis keeps using the originals."""
    files = sorted(src.glob("*.v"))
    if flatten:
        from ..verilog import flatten_file

        flat_dir.mkdir(parents=True, exist_ok=True)
        rewritten = []
        for p in files:
            if p.stem.startswith(f"{PROJECT}_stage"):
                flatten_file(p, flat_dir / p.name)
                rewritten.append(flat_dir / p.name)
            else:
                rewritten.append(p)
        files = rewritten
    return tuple(files) + tuple(sorted((src / "static").glob("*.v")))


def step_rtl(run: Run, out: Path) -> StepResult:
    cfg = run.config.target
    model = load_quantized_model(run)
    ds = load_dataset(run)
    emu = np.load(run.path("hls") / "emulation.npz")
    n = min(len(ds.x_test), cfg.rtl.max_samples or len(ds.x_test))
    x, y_hls, y_keras, labels = ds.x_test[:n], emu["hls"][:n], emu["keras"][:n], ds.y_test[:n]

    run.progress("da4ml trace + Verilog", 0, 1)
    rtl, trace_s = trace_to_rtl(model, out / "da4ml", cfg.rtl.latency_cutoff, cfg.clock_ns, cfg.part)
    run.progress("da4ml trace + Verilog", 1, 1)
    kif_in, kif_out, n_in, n_out = rtl_io(rtl)
    src = out / "da4ml" / "src"
    design = stream_sim.StreamDesign(
        top=f"{PROJECT}_wrapper",
        sources=sim_sources(src, out / "sim" / "src", cfg.rtl.flatten_operators),
        include_dirs=(src, src / "static", out / "da4ml" / "sim"),
        n_inp=n_in,
        n_out=n_out,
        inp_bw=sum(kif_in),
        out_bw=sum(kif_out),
    )
    run.progress("Verilator build", 0, 1)
    options = verilator.BuildOptions(cxx_opt=cfg.rtl.cxx_opt, jobs=cfg.rtl.verilator_threads)
    exe, build = stream_sim.build_stream_sim(design, out / "sim", options)
    run.progress("Verilator build", 1, 1)

    stages = int(rtl._pipe.solutions.__len__()) if rtl._pipe is not None else 0
    max_lag = stages + 16
    raw, sim = stream_sim.run_stream_sim(
        exe, encode_inputs(x, kif_in), n_out, n + max_lag, out / "sim", cwd=src / "memfiles"
    )
    per_cycle = decode_outputs(raw, kif_out)
    match = stream_sim.measure_latency(per_cycle, y_hls.reshape(n, -1), max_lag)
    lag = match.latency_cycles if match.latency_cycles is not None else 0
    y_rtl = per_cycle[lag : lag + n].reshape(y_hls.shape)
    np.savez(out / "rtl_outputs.npz", rtl=y_rtl, hls=y_hls, keras=y_keras, labels=labels)

    frac_hls, bad_hls, idx_hls = identical_fraction(y_rtl, y_hls)
    frac_keras, _, _ = identical_fraction(y_rtl, y_keras)
    vsrc = f"Verilator {verilator.version()} cycle-accurate simulation of da4ml RTL"
    latency_ns = lag * cfg.clock_ns if match.latency_cycles is not None else None
    budget = cfg.latency_budget_ns
    within = None if budget is None or latency_ns is None else latency_ns <= budget
    notes = []
    if match.latency_cycles is None:
        notes.append("RTL outputs never matched the hls4ml emulation at any lag: latency unknown")
    if within is False:
        notes.append(f"latency {latency_ns:.1f} ns is OVER the {budget:.0f} ns budget")
    metrics = {
        "latency_cycles": Metric(value=match.latency_cycles, unit="cycles", source=vsrc, n=n),
        "latency_ns": Metric(value=latency_ns, unit="ns", source=f"{vsrc} x {cfg.clock_ns} ns clock", n=n),
        "ii_cycles": Metric(
            value=1 if frac_hls == 1.0 else None,
            unit="cycles",
            source=vsrc,
            n=n,
            note="a new sample entered on every clock and every output matched"
            if frac_hls == 1.0
            else "outputs did not all match at II=1",
        ),
        "pipeline_stages": Metric(value=stages, unit="stages", source="da4ml pipeline", kind="config"),
        "bit_exact_vs_hls4ml": Metric(
            value=frac_hls, unit="fraction", n=n, source=f"{vsrc} vs hls4ml C++ emulation, all output bits"
        ),
        "bit_exact_vs_keras": Metric(
            value=frac_keras, unit="fraction", n=n, source=f"{vsrc} vs Keras, all output bits"
        ),
        "accuracy_rtl": Metric(
            value=float((y_rtl.argmax(1) == labels).mean()), unit="fraction", n=n, source=vsrc
        ),
        "sim_samples_per_s": Metric(
            value=round(n / max(sim["seconds"], 1e-9)),
            unit="samples/s",
            source=f"{vsrc}, simulation loop wall time",
        ),
        "trace_seconds": Metric(value=round(trace_s, 2), unit="s", source="wall clock"),
        "verilator_build_seconds": Metric(
            value=build["seconds"],
            unit="s",
            source="wall clock",
            note="cached build reused" if build["cached"] else "",
        ),
    }
    latency = {
        k: metrics[k].model_dump() for k in ("latency_cycles", "latency_ns", "ii_cycles", "pipeline_stages")
    }
    latency["clock_ns"] = Metric(value=cfg.clock_ns, unit="ns", source="config", kind="config").model_dump()
    if budget is not None:
        latency["budget_ns"] = Metric(
            value=budget,
            unit="ns",
            source="config",
            kind="config",
            note=("within budget" if within else "OVER budget") if within is not None else "",
        ).model_dump()
    if bad_hls:
        log.warning(
            "RTL differs from the hls4ml emulation on %d of %d samples (first %s)", bad_hls, n, idx_hls
        )
    return StepResult(
        metrics=metrics,
        tools={"verilator": verilator.version(), **versions("da4ml")},
        info={
            "latency": latency,
            "notes": notes,
            "build": build,
            "kif_in": kif_in,
            "kif_out": kif_out,
            "mismatch_samples": idx_hls,
        },
    )
