"""Step ``emulate``: the fast bit-exact emulator of the RTL (``backends/da4ml/emulator.py``)
on the whole test set, checked against Verilator's outputs, with its throughput.

The emulator is what checks a trigger algorithm on millions of events; this step proves it
equals the cycle-accurate simulation on this run's test set and says how fast it is and
what it cost to build (compiled once per design and machine, then cached).

Writes ``emulate/emulator_outputs.npz`` and ``emulate/emulator.json``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ..artifacts import EMULATOR_OUTPUTS, RTL_OUTPUTS, load_dataset, load_emulator, locate
from ..records import Metric, ReportPart, StepResult, Table
from ..run import Run
from ..train.metrics import identical_fraction

__all__ = ["step_emulate", "throughput"]

#: Seconds of repeated emulation a throughput figure is averaged over, at least.
_TIMING_S = 1.0


def throughput(emu, x: np.ndarray, threads: int) -> float:
    """Samples per second of ``emu`` on ``x``, repeated for at least ``_TIMING_S`` seconds."""
    emu.predict(x[: min(len(x), 1024)], threads)  # warm up: pages, OpenMP threads
    done, t0 = 0, time.perf_counter()
    while True:
        emu.predict(x, threads)
        done += len(x)
        seconds = time.perf_counter() - t0
        if seconds >= _TIMING_S:
            return done / seconds


def step_emulate(run: Run, out: Path) -> StepResult:
    ds = load_dataset(run)
    with np.load(locate(run, RTL_OUTPUTS)) as f:
        rtl = f["rtl"]
    x = ds.x_test[: len(rtl)]
    run.progress("emulator build (cached per design)", 0, 1)
    emu = load_emulator(run)
    run.progress("emulator build (cached per design)", 1, 1)
    y = emu.predict(x)
    np.savez(out / EMULATOR_OUTPUTS.filename, emulator=y)
    frac, bad, first = identical_fraction(y, rtl.reshape(len(x), -1))
    cores = os.cpu_count() or 1
    rates = {threads: throughput(emu, x, threads) for threads in sorted({1, cores})}
    info = {
        "ops": len(emu.comb.ops),
        "lane_bits": emu.bits,
        "prepare_s": round(emu.prepare_s, 1),
        "cached": emu.cached,
        "samples_per_s": {str(k): round(v) for k, v in rates.items()},
    }
    (out / "emulator.json").write_text(json.dumps(info, indent=2))
    src = f"hwcodesign emulator ({info['ops']:,} da4ml ops as C, {emu.bits}-bit lanes)"
    metrics = {
        "emulator_vs_rtl": Metric(
            value=frac, unit="fraction", n=len(x), source=f"{src} vs Verilator, all output bits"
        ),
        "emulator_samples_per_s": Metric(
            value=round(rates[cores]),
            unit="samples/s",
            source=f"{src}, {cores} threads, test set repeated for >= {_TIMING_S:.0f} s",
            n=len(x),
        ),
        "emulator_build_seconds": Metric(
            value=info["prepare_s"], unit="s", source="wall clock", note="cached" if emu.cached else ""
        ),
    }
    rows = [
        {"threads": k, "samples/s": round(v), "build s": info["prepare_s"], "cached build": emu.cached}
        for k, v in rates.items()
    ]
    notes = (
        []
        if bad == 0
        else [f"NOT bit-exact: the emulator differs from Verilator on {bad} samples (first {first})"]
    )
    report = ReportPart(
        bit_exactness={"emulator_vs_rtl": metrics["emulator_vs_rtl"]},
        tables=[Table(title=f"Fast emulation: {src}", rows=rows)],
        notes=notes,
    )
    return StepResult(metrics=metrics, report=report, info=info)
