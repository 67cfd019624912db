"""Step ``package``: what a board needs, in ``deploy/`` (see ``deploy/package.py``): the
accelerator RTL behind AXI4-Stream, the Vivado block design (or Vitis / IP packaging), the
PYNQ driver, a notebook, test vectors, README and a manifest of every file. A bitstream is
built only where Vivado is: ``make bitstream RUN=runs/<name>``; nothing here fakes one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..artifacts import RTL_TIMING, load_dataset, load_emulation, load_predictions, load_rtl_project, locate
from ..boards import BOARDS, Board
from ..deploy.package import package_da4ml, write_manifest, write_shell_files
from ..frameworks import versions
from ..records import ReportPart, StepResult
from ..run import Run
from ..targets import part_info
from ..tools import verilator

__all__ = ["step_package", "step_package_finn", "board_of"]


def board_of(target) -> Board:
    """The configured board, or the bare part as an IP-core target."""
    if target.board:
        return BOARDS.get(target.board)
    for b in ("xcvu13p",):
        if part_info(BOARDS.get(b).part).device == part_info(target.part).device:
            return BOARDS.get(b)
    return Board(
        target.part,
        target.part,
        "bare part",
        "none",
        "none",
        1000 / target.clock_ns,
        False,
        0,
        None,
        {"part": "target.part of the run config"},
    )


def fit_notes(run: Run, board: Board) -> list[str]:
    """A warning when the best resource numbers of the run exceed the board's part."""
    from ..report.resources import best_resources, overflows

    best = best_resources(run)
    if best is None:
        return []
    source, table = best
    over = overflows(table.counts, board.part)
    if not over:
        return []
    what = ", ".join(f"{k} {used:,.0f} of {avail:,}" for k, (used, avail) in over.items())
    return [f"the design does not fit {board.name} ({board.part}): {what} ({source}); packaged anyway"]


def step_package(run: Run, out: Path) -> StepResult:
    target = run.config.target
    board = board_of(target)
    timing = json.loads(locate(run, RTL_TIMING).read_text())
    if not timing.get("latency_cycles"):
        note = "no package: the rtl step did not measure a latency (its outputs never matched)"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    project = load_rtl_project(run)
    flat = locate(run, RTL_TIMING).parent / "sim" / "src"
    spec = package_da4ml(
        project,
        board,
        1000.0 / target.clock_ns,
        int(timing["latency_cycles"]),
        out,
        flat if flat.is_dir() else None,
    )
    ds, emu = load_dataset(run), load_emulation(run)
    n = min(len(ds.x_test), target.deploy.samples)
    np.save(out / "test_inputs.npy", ds.x_test[:n].reshape(n, -1))
    np.save(out / "test_outputs.npy", emu.hls[:n])
    built = ["the accelerator RTL and the driver on the virtual board (step virtual_board)"]
    built.append(
        "Vivado: not run (not on PATH); no bitstream"
        if board.shell != "none"
        else "Vivado IP packaging: not run"
    )
    facts = {
        "board": board.name,
        "part": board.part,
        "clock_mhz": spec["clock_mhz"],
        "shell": board.shell,
        "board_sources": board.sources,
        "tools": {**versions("da4ml", "hls4ml"), "verilator": verilator.version()},
    }
    manifest = write_manifest(out, board, facts, built)
    notes = [
        f"deployment package for {board.name} ({board.part}, {spec['clock_mhz']:g} MHz) in deploy/: "
        f"{len(manifest['files'])} files; bitstream: `make bitstream RUN={run.root}` where Vivado is",
        *fit_notes(run, board),
    ]
    return StepResult(
        report=ReportPart(notes=notes), info={"board": board.name, "files": len(manifest["files"])}
    )


def step_package_finn(run: Run, out: Path) -> StepResult:
    """The finn-plus flows: the dataflow graph's RTL layers stitched behind AXI4-Stream."""
    from ..artifacts import FINN_BUILD
    from ..backends.finn.reports import version as finn_version
    from ..backends.finn.settings import finn_session
    from ..deploy.finn_package import package_finn
    from ..errors import StepOrderError, UnsupportedLayerError

    target = run.config.target
    board = board_of(target)
    try:
        finn_dir = locate(run, FINN_BUILD).parent
    except StepOrderError:
        note = "no package: finn-plus did not build a dataflow graph"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    ds = load_dataset(run)
    try:
        with finn_session(out / "build"):
            clock_mhz, samples = 1000.0 / target.clock_ns, target.deploy.samples
            expected = load_predictions(run).reference
            spec = package_finn(
                finn_dir, board, clock_mhz, out, ds.x_test, samples, run.cache_dir("verilator"), expected
            )
    except UnsupportedLayerError as e:
        note = f"no package: {e}"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    finally:
        shutil.rmtree(out / "build", ignore_errors=True)
    write_shell_files(spec, board, out)
    (out / "accelerator.json").write_text(json.dumps(spec, indent=2))
    built = [
        "the stitched finn-plus RTL and the driver on the virtual board (step virtual_board)",
        "Vivado: not run (not on PATH); with Vivado, finn-plus' step_create_stitched_ip and "
        "step_synthesize_bitfile also apply",
    ]
    facts = {
        "board": board.name,
        "part": board.part,
        "clock_mhz": spec["clock_mhz"],
        "shell": board.shell,
        "board_sources": board.sources,
        "tools": {"finn-plus": finn_version(), "verilator": verilator.version()},
    }
    manifest = write_manifest(out, board, facts, built)
    note = f"deployment package for {board.name} ({board.part}) in deploy/: {len(manifest['files'])} files"
    return StepResult(report=ReportPart(notes=[note, *fit_notes(run, board)]), info={"board": board.name})
