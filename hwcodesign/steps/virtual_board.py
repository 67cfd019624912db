"""Step ``virtual_board``: the deployment package's own ``driver.py`` against the package's
accelerator RTL in Verilator behind a DMA model (``deploy/virtual.py``): ``predict`` on the
test samples (bit-exact with the emulation?), a stall test (random tvalid gaps and tready
stalls: nothing lost, doubled or reordered), and ``throughput_test`` for the configured
batches. Every number is kind ``simulated`` and names the DMA model's parameters."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from ..artifacts import DEPLOY, VIRTUAL_BOARD, locate
from ..deploy.virtual import DmaModel, VirtualBoard
from ..errors import StepOrderError
from ..records import Metric, ReportPart, StepResult, Table
from ..run import Run
from ..tools import verilator
from ..train.metrics import identical_fraction

__all__ = ["step_virtual_board", "load_driver"]


def load_driver(deploy: Path):
    """The package's own driver module (imported from the file, as the board would)."""
    spec = importlib.util.spec_from_file_location(f"hwcd_driver_{abs(hash(deploy))}", deploy / "driver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step_virtual_board(run: Run, out: Path) -> StepResult:
    cfg = run.config.target.deploy
    deploy, why_not = _package(run)
    if deploy is None:
        return StepResult(report=ReportPart(notes=[why_not]), message=why_not if "package" in why_not else "")
    spec = json.loads((deploy / "accelerator.json").read_text())
    dma = DmaModel(
        burst_beats=cfg.burst_beats, burst_gap_cycles=cfg.burst_gap_cycles, ps_overhead_us=cfg.ps_overhead_us
    )
    driver = load_driver(deploy)
    run.progress("virtual board: Verilator build", 0, 1)
    board = VirtualBoard(deploy, out / "sim", dma, run.cache_dir("verilator"))
    run.progress("virtual board: Verilator build", 1, 1)
    acc = driver.Accelerator(overlay=board, max_batch=max(cfg.batch_sizes))
    x, ref = np.load(deploy / "test_inputs.npy"), np.load(deploy / "test_outputs.npy")
    n = min(cfg.samples, len(x))
    x, ref = x[:n].reshape(n, -1), ref[:n].reshape(n, -1)
    frac, n_bad, bad = identical_fraction(acc.predict(x), ref)
    stall_n, stall_frac = _stall_test(run, deploy, driver, x, ref, out / "sim_stalls")
    tests = {b: acc.throughput_test(batch_size=b) for b in cfg.batch_sizes}
    (out / VIRTUAL_BOARD.filename).write_text(
        json.dumps({"dma": dma.describe(), "throughput_test": tests}, indent=2)
    )
    src = (
        f"virtual board: package driver + accelerator RTL in Verilator {verilator.version()}, "
        f"DMA model ({dma.describe()})"
    )
    d = {
        "predict_bit_exact_vs_emulation": Metric(
            value=frac, unit="fraction", n=n, source=src, kind="simulated"
        ),
        "stall_test_bit_exact": Metric(
            value=stall_frac,
            unit="fraction",
            n=stall_n,
            source=f"{src}; {cfg.stall_test_pct}% tvalid gaps and tready stalls",
            kind="simulated",
        ),
        **_timing_metrics(tests, spec.get("latency_cycles"), src, min(cfg.batch_sizes)),
    }
    notes = (
        []
        if frac == 1.0
        else [f"virtual board differs from the emulation on {n_bad} of {n} samples (first {bad})"]
    )
    report = ReportPart(
        deployment=d,
        bit_exactness={"virtual_board_vs_emulation": d["predict_bit_exact_vs_emulation"]},
        tables=[
            Table(title=f"Virtual board ({spec['board']}): throughput_test", rows=_throughput_rows(tests))
        ],
        notes=notes,
    )
    return StepResult(
        metrics=d, report=report, tools={"verilator": verilator.version()}, info={"dma": dma.describe()}
    )


def _package(run: Run) -> tuple[Path | None, str]:
    """The package folder, or None and why the virtual board does not run."""
    cfg = run.config.target.deploy
    try:
        deploy = locate(run, DEPLOY).parent
    except StepOrderError:
        return None, "virtual board not run: there is no deployment package (see the package step's note)"
    if not cfg.virtual_board:
        return None, "virtual board not run: disabled (target.deploy.virtual_board)"
    if not (deploy / "driver.py").is_file():
        board = json.loads((deploy / "accelerator.json").read_text())["board"]
        return None, f"virtual board not run: {board} is an IP core, not a board"
    return deploy, ""


def _stall_test(
    run: Run, deploy: Path, driver, x: np.ndarray, ref: np.ndarray, folder: Path
) -> tuple[int, float]:
    """The first (up to) 300 samples with random tvalid gaps and tready stalls: (n, identical fraction)."""
    pct = run.config.target.deploy.stall_test_pct
    stalled = VirtualBoard(
        deploy, folder, DmaModel(valid_gap_pct=pct, stall_pct=pct, seed=7), run.cache_dir("verilator")
    )
    m = min(len(x), 300)
    y = driver.Accelerator(overlay=stalled, max_batch=m).predict(x[:m])
    return m, identical_fraction(y, ref[:m])[0]


def _timing_metrics(tests: dict, pipeline: int | None, src: str, first_batch: int) -> dict[str, Metric]:
    """First-sample latency and throughput per batch size (throughput_test's numbers)."""
    d = {
        "first_sample_latency_cycles": Metric(
            value=tests[first_batch]["first_sample_latency[cycles]"],
            unit="cycles",
            source=src,
            kind="simulated",
            note="first input beat to last beat of the first result"
            + (f"; the bare pipeline: {pipeline} cycles" if pipeline else ""),
        )
    }
    if pipeline:
        d["pipeline_latency_cycles"] = Metric(value=pipeline, unit="cycles", source="rtl step (Verilator)")
    for b, t in tests.items():
        d[f"throughput_batch{b}"] = Metric(
            value=round(t["throughput[samples/s]"], 1),
            unit="samples/s",
            source=src,
            kind="simulated",
            n=b,
            note=f"runtime {t['runtime[ms]']:.4f} ms at {t['fclk[mhz]']:g} MHz",
        )
    return d


def _throughput_rows(tests: dict) -> list[dict]:
    return [
        {
            "batch_size": b,
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in t.items() if k != "batch_size"},
        }
        for b, t in tests.items()
    ]
