"""Step ``rtl``: da4ml RTL of the quantized model, simulated cycle-accurately in Verilator.

The whole test set (or ``target.rtl.max_samples``) is streamed through the pipeline one
sample per clock. Latency (cycles) and initiation interval are measured from the data,
and every output is compared with the hls4ml emulation and with Keras.

Writes ``rtl/da4ml/`` (Verilog, memory files, Vivado/Quartus scripts, metadata.json),
``rtl/sim/`` (the simulator and its logs) and ``rtl/rtl_outputs.npz``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..artifacts import (
    RTL_OUTPUTS,
    RTL_PROJECT,
    RTL_TIMING,
    load_dataset,
    load_emulation,
    load_keras_model,
    load_train_summary,
)
from ..backends.da4ml.project import write_rtl
from ..backends.da4ml.stream_sim import simulate
from ..frameworks import versions
from ..records import Metric, ReportPart, StepResult
from ..run import Run
from ..tools import verilator
from ..train.metrics import accuracy_of_run_outputs, identical_fraction

__all__ = ["step_rtl"]

log = logging.getLogger(__name__)


def step_rtl(run: Run, out: Path) -> StepResult:
    cfg = run.config.target
    ds = load_dataset(run)
    emu = load_emulation(run)
    n = min(len(ds.x_test), cfg.rtl.max_samples or len(ds.x_test))
    x, y_hls, y_keras = ds.x_test[:n], emu.hls[:n], emu.reference[:n]

    run.progress("da4ml trace + Verilog", 0, 1)
    project, trace_s = write_rtl(
        load_keras_model(run), out / RTL_PROJECT.filename, cfg.rtl.latency_cutoff, cfg.clock_ns, cfg.part
    )
    run.progress("da4ml trace + Verilog", 1, 1)
    sim = simulate(
        project,
        x,
        y_hls,
        out / "sim",
        verilator.BuildOptions(cxx_opt=cfg.rtl.cxx_opt, jobs=cfg.rtl.verilator_threads),
        flatten=cfg.rtl.flatten_operators,
        cache_dir=run.cache_dir("verilator"),
        on_stage=lambda what, done: run.progress(what, int(done), 1),
    )
    labels = ds.y_test[:n] if ds.labelled else None
    np.savez(
        out / RTL_OUTPUTS.filename,
        rtl=sim.outputs,
        hls=y_hls,
        reference=y_keras,
        **({"labels": labels} if labels is not None else {}),
    )
    frac_hls, bad_hls, idx_hls = identical_fraction(sim.outputs, y_hls)
    if bad_hls:
        log.warning(
            "RTL differs from the hls4ml emulation on %d of %d samples (first %s)", bad_hls, n, idx_hls
        )
    timing = {
        "latency_cycles": sim.latency.latency_cycles,
        "ii_cycles": 1 if frac_hls == 1.0 else None,
        "n": n,
    }
    (out / RTL_TIMING.filename).write_text(json.dumps(timing))
    m = _metrics(cfg, project, sim, n, frac_hls, identical_fraction(sim.outputs, y_keras)[0], trace_s)
    report = _report(cfg, m)
    acc = (
        accuracy_of_run_outputs(sim.outputs, labels, load_train_summary(run)) if labels is not None else None
    )
    if acc is not None:  # None: a regression (its residuals are in the report)
        m["accuracy_rtl"] = Metric(value=acc, unit="fraction", n=n, source=m["latency_cycles"].source)
        report = report.model_copy(update={"accuracy": {"rtl": m["accuracy_rtl"]}})
    return StepResult(
        metrics=m,
        report=report,
        tools={"verilator": verilator.version(), **versions("da4ml")},
        info={
            "build": sim.build,
            "kif_in": project.kif_in,
            "kif_out": project.kif_out,
            "mismatch_samples": idx_hls,
        },
    )


def _metrics(
    cfg, project, sim, n: int, frac_hls: float, frac_keras: float, trace_s: float
) -> dict[str, Metric]:
    """Latency, II, bit-exactness and build numbers of the simulation, each with its source."""
    vsrc = f"Verilator {verilator.version()} cycle-accurate simulation of da4ml RTL"
    lat = sim.latency.latency_cycles
    return {
        "latency_cycles": Metric(value=lat, unit="cycles", source=vsrc, n=n),
        "latency_ns": Metric(
            value=lat * cfg.clock_ns if lat is not None else None,
            unit="ns",
            source=f"{vsrc} x {cfg.clock_ns} ns clock",
            n=n,
        ),
        "ii_cycles": Metric(
            value=1 if frac_hls == 1.0 else None,
            unit="cycles",
            source=vsrc,
            n=n,
            note="a new sample entered on every clock and every output matched"
            if frac_hls == 1.0
            else "outputs did not all match at II=1",
        ),
        "pipeline_stages": Metric(
            value=project.stages, unit="stages", source="da4ml pipeline", kind="config"
        ),
        "bit_exact_vs_hls4ml": Metric(
            value=frac_hls, unit="fraction", n=n, source=f"{vsrc} vs hls4ml C++ emulation, all output bits"
        ),
        "bit_exact_vs_keras": Metric(
            value=frac_keras, unit="fraction", n=n, source=f"{vsrc} vs Keras, all output bits"
        ),
        "sim_samples_per_s": Metric(
            value=round(n / max(sim.sim_seconds, 1e-9)),
            unit="samples/s",
            source=f"{vsrc}, simulation loop wall time",
        ),
        "trace_seconds": Metric(value=round(trace_s, 2), unit="s", source="wall clock"),
        "verilator_build_seconds": Metric(
            value=sim.build["seconds"],
            unit="s",
            source="wall clock",
            note="cached build reused" if sim.build["cached"] else "",
        ),
    }


def _report(cfg, m: dict[str, Metric]) -> ReportPart:
    """The latency section (with the budget check) and the bit-exactness entries."""
    latency = {k: m[k] for k in ("latency_cycles", "latency_ns", "ii_cycles", "pipeline_stages")}
    latency["clock_ns"] = Metric(value=cfg.clock_ns, unit="ns", source="config", kind="config")
    latency_ns, budget = m["latency_ns"].value, cfg.latency_budget_ns
    within = None if budget is None or latency_ns is None else latency_ns <= budget
    notes = []
    if m["latency_cycles"].value is None:
        notes.append("RTL outputs never matched the hls4ml emulation at any lag: latency unknown")
    if within is False:
        notes.append(f"latency {latency_ns:.1f} ns is OVER the {budget:.0f} ns budget")
    if budget is not None:
        note = ("within budget" if within else "OVER budget") if within is not None else ""
        latency["budget_ns"] = Metric(value=budget, unit="ns", source="config", kind="config", note=note)
    return ReportPart(
        latency=latency,
        bit_exactness={"rtl_vs_hls4ml": m["bit_exact_vs_hls4ml"], "rtl_vs_keras": m["bit_exact_vs_keras"]},
        notes=notes,
    )
