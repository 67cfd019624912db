"""A deployment package for a da4ml accelerator: everything a board (or a firmware team) needs.

deploy/
  ip/                 the accelerator RTL: da4ml's Verilog (src/), the AXI4-Stream wrapper
                      (hwcd_axis_pipeline.v) and its top (hwcd_accel.v); sim_flat/ holds the
                      simulation-only flattened stages the virtual board uses (checked
                      bit-exact by the rtl step)
  accelerator.json    widths, fixed-point formats, beats per sample, latency, clock, board
  vivado/build_bitstream.tcl   block design: PS + AXI DMA + accelerator, clock, bitstream + .hwh
  vitis/              (Alveo) data-mover kernels, the RTL kernel packaging, v++ link config
  vivado/package_ip.tcl        (bare part) the accelerator as a Vivado IP for trigger firmware
  driver.py run_on_board.ipynb README.md manifest.json
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from ..backends.da4ml.project import TOP, RtlProject
from ..boards import Board

__all__ = [
    "package_da4ml",
    "write_manifest",
    "write_shell_files",
    "accelerator_spec",
    "board_notebook",
    "DRIVER",
]

_HERE = Path(__file__).resolve().parent
WRAPPER = _HERE / "rtl" / "hwcd_axis_pipeline.v"
DRIVER = _HERE / "driver.py"


def accelerator_spec(project: RtlProject, board: Board, clock_mhz: float, latency_cycles: int) -> dict:
    bus = board.bus_bits or 32
    in_bits, out_bits = project.n_in * project.in_bits, project.n_out * project.out_bits
    in_beats, out_beats = -(-in_bits // bus), -(-out_bits // bus)
    return {
        "top": "hwcd_accel",
        "board": board.name,
        "part": board.part,
        "shell": board.shell,
        "clock_mhz": clock_mhz,
        "bus_bits": bus,
        "dma": "axi_dma_0",
        "n_in": project.n_in,
        "in_bits": project.in_bits,
        "in_kif": list(project.kif_in),
        "n_out": project.n_out,
        "out_bits": project.out_bits,
        "out_kif": list(project.kif_out),
        "in_beats": in_beats,
        "out_beats": out_beats,
        "in_bytes": in_beats * bus // 8,
        "out_bytes": out_beats * bus // 8,
        "latency_cycles": latency_cycles,
        "fifo_depth": 1 << max(4, (latency_cycles + 3).bit_length()),
        "kind": "da4ml",
        # the driver's view: (words, elements per word); da4ml takes one word of all elements
        "in": {
            "dtype": _dtype(project.kif_in, project.in_bits),
            "fold": [1, project.n_in],
            "scale": 2.0 ** -project.kif_in[2],
        },
        "out": {
            "dtype": _dtype(project.kif_out, project.out_bits),
            "fold": [1, project.n_out],
            "scale": 2.0 ** -project.kif_out[2],
        },
        "verilator_args": [],
    }


def _dtype(kif, bits: int) -> str:
    return f"{'INT' if kif[0] else 'UINT'}{bits}"


def _top(spec: dict) -> str:
    return f"""// hwcodesign accelerator top: the model pipeline behind AXI4-Stream (written by the package step)
`timescale 1ns / 1ps
module hwcd_accel (
    input  wire aclk,
    input  wire aresetn,
    input  wire [{spec["bus_bits"] - 1}:0] s_axis_tdata,
    input  wire s_axis_tvalid,
    output wire s_axis_tready,
    input  wire s_axis_tlast,
    output wire [{spec["bus_bits"] - 1}:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input  wire m_axis_tready,
    output wire m_axis_tlast
);
    hwcd_axis_pipeline #(
        .IN_BITS({spec["n_in"] * spec["in_bits"]}),
        .OUT_BITS({spec["n_out"] * spec["out_bits"]}),
        .BUS({spec["bus_bits"]}),
        .LATENCY({spec["latency_cycles"]}),
        .FIFO_DEPTH({spec["fifo_depth"]})
    ) core (
        .aclk(aclk), .aresetn(aresetn),
        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)
    );
endmodule
"""


def _readme(spec: dict, board: Board, built: list[str]) -> str:
    latency = (
        f"The pipeline's latency is {spec['latency_cycles']} cycles (measured in Verilator by the rtl step); "
        "the wrapper adds the beat (de)serialisation."
        if spec.get("latency_cycles")
        else "The layers are finn-plus RTL layers, each simulated bit-exactly by the finn_rtlsim step."
    )
    from .shells import SHELLS

    shell = SHELLS.get(board.shell).readme
    return f"""# Deployment package: {spec["board"]} ({spec["part"]}, {spec["clock_mhz"]} MHz)

For {shell}.

* Inputs: {spec["n_in"]} values as {spec["in"]["dtype"]} (x {spec["in"]["scale"]:g}), {spec["in"]["fold"][0]} word(s) of
  {spec["in"]["fold"][1]} element(s), element 0 at the least significant bits, in {spec["in_beats"]} beat(s) of
  {spec["bus_bits"]} bits; outputs: {spec["n_out"]} values as {spec["out"]["dtype"]} (x {spec["out"]["scale"]:g}) in
  {spec["out_beats"]} beat(s). {latency}
* `driver.py`: `Accelerator().predict(x)` and `throughput_test(batch_size)` (FINN's fields); the
  PL clock is read from the loaded bitstream. Needs `pynq`, `finn-plus-driver` (packing) and
  numpy < 2 on the board (`make pynq-venv` makes the same environment on a host).

What was run where this package was made: {"; ".join(built)}.
Nothing here pretends to be a bitstream: `hwcd_accel.bit` exists only after Vivado has run.
"""


def board_notebook(spec: dict) -> dict:
    cells = [
        (
            "markdown",
            f"# hwcodesign accelerator on {spec['board']}\nRun on the board (PYNQ) from this folder.",
        ),
        (
            "code",
            "import numpy as np\nfrom driver import Accelerator\n\nacc = Accelerator()\nprint('PL clock', acc.fclk_mhz, 'MHz')",
        ),
        (
            "code",
            "x = np.load('test_inputs.npy')\nref = np.load('test_outputs.npy')\ny = acc.predict(x)\n"
            "print('bit-exact with the emulation:', np.mean(np.all(y == ref, axis=1)))",
        ),
        ("code", "for b in (1, 64, 1024):\n    print(acc.throughput_test(batch_size=b))"),
    ]
    return {
        "cells": [
            {
                "cell_type": t,
                "metadata": {},
                "source": src,
                **({"outputs": [], "execution_count": None} if t == "code" else {}),
            }
            for t, src in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def package_da4ml(
    project: RtlProject, board: Board, clock_mhz: float, latency_cycles: int, out: Path, flat_src: Path | None
) -> dict:
    """Write the package for a da4ml project into ``out``; returns the accelerator spec."""
    import numpy as np  # noqa: F401  (the test vectors are written by the caller)

    spec = accelerator_spec(project, board, clock_mhz, latency_cycles)
    ip = out / "ip"
    shutil.copytree(project.src, ip / "src")
    shutil.copy(WRAPPER, ip / WRAPPER.name)
    (ip / "hwcd_accel.v").write_text(_top(spec))
    sim = []
    if flat_src is not None:
        shutil.copytree(flat_src, ip / "sim_flat")
        flat = {p.name for p in (ip / "sim_flat").glob("*.v")}
        sim += [f"sim_flat/{n}" for n in sorted(flat)]
        sim += [f"src/{p.name}" for p in sorted((ip / "src").glob("*.v")) if p.name not in flat]
    else:
        sim += [f"src/{p.name}" for p in sorted((ip / "src").glob("*.v"))]
    sim += [f"src/static/{p.name}" for p in sorted((ip / "src" / "static").glob("*.v"))]
    spec["sim_sources"] = [*sim, WRAPPER.name, "hwcd_accel.v"]
    write_shell_files(spec, board, out)
    (out / "accelerator.json").write_text(json.dumps(spec, indent=2))
    return spec


def write_shell_files(spec: dict, board: Board, out: Path) -> None:
    """What the board's shell needs (``deploy/shells.py``): build scripts, and the PYNQ driver and
    notebook when the board runs one.

    Raises:
        ConfigError: the board names an unknown shell (the message lists the registered ones).
    """
    from ..registry import resolve
    from .shells import SHELLS

    shell = SHELLS.get(board.shell)
    resolve(shell.write, f"board shell {shell.name}")(spec, board, out)
    if shell.pynq_driver:
        shutil.copy(DRIVER, out / "driver.py")
        (out / "run_on_board.ipynb").write_text(json.dumps(board_notebook(spec), indent=1))


def write_manifest(out: Path, board: Board, facts: dict, built: list[str]) -> dict:
    """``manifest.json``: every file with its SHA-256, plus board, part, clock, tool versions."""
    spec = json.loads((out / "accelerator.json").read_text())
    (out / "README.md").write_text(_readme(spec, board, built))
    files = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = {**facts, "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


_ = TOP  # the pipeline module the wrapper instantiates is TOP + "_wrapper"
