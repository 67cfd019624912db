"""Step ``package``: what a board needs, in ``deploy/`` (see ``deploy/package.py``): the
accelerator RTL behind AXI4-Stream, the Vivado block design (or Vitis / IP packaging), the
PYNQ driver, a notebook, test vectors, README and a manifest of every file. A bitstream is
built only where Vivado is: ``make bitstream RUN=runs/<name>``; nothing here fakes one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..artifacts import RTL_TIMING, load_dataset, load_emulation, load_rtl_project, locate
from ..boards import Board, get_board
from ..deploy.package import package_da4ml, write_manifest
from ..frameworks import versions
from ..records import ReportPart, StepResult
from ..run import Run
from ..targets import part_info
from ..tools import verilator

__all__ = ["step_package", "board_of"]


def board_of(target) -> Board:
    """The configured board, or the bare part as an IP-core target."""
    if target.board:
        return get_board(target.board)
    for b in ("xcvu13p",):
        if part_info(get_board(b).part).device == part_info(target.part).device:
            return get_board(b)
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
    manifest = write_manifest(out, facts, built)
    notes = [
        f"deployment package for {board.name} ({board.part}, {spec['clock_mhz']:g} MHz) in deploy/: "
        f"{len(manifest['files'])} files; bitstream: `make bitstream RUN={run.root}` where Vivado is"
    ]
    return StepResult(
        report=ReportPart(notes=notes), info={"board": board.name, "files": len(manifest["files"])}
    )
