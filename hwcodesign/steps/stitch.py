"""Step ``stitch``: the run's finn-plus dataflow graph as one design (``backends/finn/stitch.py``:
every edge wired, width converters, weight ROMs, FIFOs sized by simulation), simulated in
Verilator on the whole test set back to back (``backends/finn/design_sim.py``): the raw outputs
against the trained model's (``predictions`` / the parent graph's output scale) on every image
and against finn-plus' Python execution of the graph (the first ``PYTHON_FRAMES``); latency and
steady-state throughput measured next to finn-plus' estimates; the FIFO depths.

Writes ``stitch/stitch.json`` (FIFO depths and occupancies, timing, comparisons), ``stitch/design/``
(the stitched RTL: ``src/``, ``design.json``), ``stitch/deep/design.json`` (the sizing build) and
``stitch/outputs.npz``. A graph with layers left as HLS gets a note instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..artifacts import FINN_BUILD, STITCHED_DESIGN, load_dataset, load_predictions, locate
from ..backends.finn import design_sim
from ..backends.finn.reports import version as finn_version
from ..backends.finn.settings import finn_session
from ..backends.finn.stitch import (
    SIZING_FRAMES,
    layers_without_rtl,
    parent_output_scale,
    size_fifos,
    stitchable,
)
from ..errors import StepOrderError, UnsupportedLayerError
from ..records import Metric, ReportPart, StepResult, Table
from ..run import Run
from ..tools import verilator

__all__ = ["step_stitch"]

PYTHON_FRAMES = 1000  # frames also compared with finn-plus' Python execution (run_graph: ~10 ms each)
STALL_PCT = 30  # % random input gaps and output stalls of the back-pressure run


def step_stitch(run: Run, out: Path) -> StepResult:
    try:
        dataflow = locate(run, FINN_BUILD)
    except StepOrderError:
        note = "no whole-design simulation: step finn built no dataflow graph"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    try:
        with finn_session(out / "build"):
            return _stitch(run, out, dataflow)
    except UnsupportedLayerError as e:
        note = f"no whole-design simulation: {e}"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    finally:  # the sizing build's RTL is the design's with deeper FIFOs: its design.json stays
        for tmp in ("build", "sim", "deep/src"):
            shutil.rmtree(out / tmp, ignore_errors=True)


def _stitch(run: Run, out: Path, dataflow: Path) -> StepResult:
    from qonnx.core.modelwrapper import ModelWrapper

    from ..backends.finn.ops import register_ops
    from ..backends.finn.rtlsim import dataflow_inputs

    register_ops()
    graph = ModelWrapper(str(dataflow))
    missing = layers_without_rtl(graph)
    if missing:
        note = f"no whole-design simulation: layers without RTL: {', '.join(missing)}"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    target = run.config.target
    parent = ModelWrapper(str(dataflow.with_name("parent.onnx")))
    scale = parent_output_scale(parent)
    model = stitchable(ModelWrapper(str(dataflow)), target.part, target.clock_ns)
    frames = dataflow_inputs(parent, load_dataset(run).x_test[: target.finn.stitch_frames])
    run.progress("whole design: FIFO sizing (Verilator)", 0, 2)
    sizing = size_fifos(model, out, frames[:SIZING_FRAMES], run.cache_dir("verilator"))
    run.progress("whole design: test set (Verilator)", 1, 2)
    sim = design_sim.simulate_frames(
        out / "design",
        frames,
        out / "sim" / "test_set",
        target.clock_ns,
        run.cache_dir("verilator"),
        STALL_PCT,
    )
    run.progress("whole design: test set (Verilator)", 2, 2)
    checks = _compare(run, graph, frames, sim, scale)
    design = json.loads((out / "design" / "design.json").read_text())
    record = {
        "design": "design",
        "output_scale": scale,
        "fifo_sizing": sizing,
        "estimate": design["estimate"],
        "timing": sim["timing"],
        "cycles_per_second": sim["cycles_per_second"],
        "build": {"sizing": _builds(sizing), "test_set": sim["build"]},
        "runs": sim["runs"],
        "checks": checks,
    }
    (out / STITCHED_DESIGN.filename).write_text(json.dumps(record, indent=2, default=_plain))
    raw = sim["outputs"][0].reshape(len(frames), -1)
    np.savez(out / "outputs.npz", raw=raw, frame_start=sim["frame_start"], frame_end=sim["frame_end"])
    return _result(record, len(frames), target.clock_ns)


def _plain(v):
    return v.tolist() if isinstance(v, np.ndarray) else float(v) if isinstance(v, np.floating) else int(v)


def _builds(sizing: dict) -> dict:
    return {name: runs["back_to_back"].get("build", {}) for name, runs in sizing["runs"].items()}


def _compare(run: Run, graph, frames: list, sim: dict, scale: float) -> dict:
    """The design's raw outputs vs the trained model's (all frames), finn-plus' Python execution
    (the first ``PYTHON_FRAMES``), and the back-pressure run (all frames)."""
    from ..backends.finn.rtlsim import run_graph

    n = len(frames)
    raw = sim["outputs"][0].reshape(n, -1)
    model_out = load_predictions(run).reference[:n].reshape(n, -1) / scale
    expected = np.rint(model_out)
    m = min(PYTHON_FRAMES, n)
    oname = graph.graph.output[0].name
    python = np.stack([np.asarray(run_graph(graph, f)[oname]).reshape(-1) for f in frames[:m]])
    on_grid = np.all(np.abs(model_out - expected) <= 1e-3, axis=1)  # else never identical
    stalled = sim["outputs_stalls"][0].reshape(n, -1)
    return {
        "vs_model": _same(np.all(raw == expected, axis=1) & on_grid),
        "vs_finn_python": _same(np.all(raw[:m] == python, axis=1)),
        "stalls_vs_back_to_back": _same(np.all(stalled == raw, axis=1)),
    }


def _same(same: np.ndarray) -> dict:
    bad = np.flatnonzero(~same)
    return {
        "fraction": float(same.mean()),
        "frames": len(same),
        "mismatches": len(bad),
        "first_mismatches": bad[:10].tolist(),
    }


def _result(record: dict, n: int, clock_ns: float) -> StepResult:
    t, est, checks = record["timing"], record["estimate"], record["checks"]
    src = f"Verilator {verilator.version()}, whole design (stitched RTL, FIFOs sized by simulation)"
    est_note = f"finn-plus estimate {est['max_cycles']} cycles ({est['max_cycles_layer']})"
    latency = {
        "whole_design_first_latency_cycles": Metric(
            value=t["first_latency_cycles"],
            unit="cycles",
            source=src,
            n=1,
            note=f"first input beat to last output beat, empty pipeline; finn-plus estimate (critical "
            f"path) {est['critical_path_cycles']} cycles",
        ),
        "whole_design_first_latency_ns": Metric(
            value=t["first_latency_ns"], unit="ns", source=src, n=1, note=f"at {clock_ns:g} ns"
        ),
        "whole_design_steady_latency_cycles": Metric(
            value=t["steady_latency_cycles"],
            unit="cycles",
            source=src,
            n=n,
            note=f"median, frames entering every {t['paced_interval_cycles']} cycles (the measured interval)",
        ),
        "whole_design_interval_cycles": Metric(
            value=t["interval_cycles"], unit="cycles", source=src, n=n, note=f"steady state; {est_note}"
        ),
        "whole_design_throughput_fps": Metric(
            value=t["frames_per_s"],
            unit="images/s",
            source=src,
            n=n,
            note=f"at {clock_ns:g} ns; finn-plus estimate "
            f"{1e9 / (est['max_cycles'] * clock_ns):.0f} images/s",
        ),
    }
    bits = {
        "whole_design_vs_model": Metric(
            value=checks["vs_model"]["fraction"],
            unit="fraction",
            n=checks["vs_model"]["frames"],
            source=f"{src} vs the trained model's outputs / output scale {record['output_scale']:g}",
        ),
        "whole_design_vs_finn_python": Metric(
            value=checks["vs_finn_python"]["fraction"],
            unit="fraction",
            n=checks["vs_finn_python"]["frames"],
            source=f"{src} vs finn-plus {finn_version()} Python execution of the dataflow graph",
        ),
    }
    notes = [
        f"whole design: {c['mismatches']} of {c['frames']} frames differ {key.replace('_', ' ')} "
        f"(first: {c['first_mismatches']})"
        for key, c in checks.items()
        if c["mismatches"]
    ]
    rows = [{k: v for k, v in r.items() if k != "width"} for r in record["fifo_sizing"]["fifos"]]
    report = ReportPart(
        latency=latency,
        bit_exactness=bits,
        tables=[Table(title="Whole design: FIFO depths (sized by simulation)", rows=rows)],
        notes=[*notes, f"FIFO sizing: {record['fifo_sizing']['method']}"],
    )
    depth_bits = sum(r["depth"] * r["width"] for r in record["fifo_sizing"]["fifos"])
    metrics = {**latency, **bits, "fifo_bits": Metric(value=depth_bits, unit="bits", source="stitch")}
    return StepResult(
        metrics=metrics,
        report=report,
        tools={"verilator": verilator.version(), "finn-plus": finn_version()},
        info={"build": record["build"]},
    )
