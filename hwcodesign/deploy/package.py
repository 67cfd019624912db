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

__all__ = ["package_da4ml", "write_manifest", "accelerator_spec", "zynq_tcl", "board_notebook", "DRIVER"]

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


def _sources_tcl() -> str:
    return """set ip [file normalize [file join [file dirname [info script]] .. ip]]
set rtl [concat [glob -nocomplain $ip/src/*.v $ip/src/*.sv $ip/src/static/*.v] [glob $ip/*.v]]
set mem [glob -nocomplain $ip/src/memfiles/*]
"""


def zynq_tcl(spec: dict, board: Board) -> str:
    """Vivado block design: PS + AXI DMA (simple mode) + the accelerator at the target clock."""
    mhz, bus, jobs = spec["clock_mhz"], spec["bus_bits"], "[exec nproc]"
    if board.shell == "zynq-ps7":
        ps = (
            "create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7 ps\n"
            'apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 -config {make_external "FIXED_IO, DDR" '
            'apply_board_preset "1"} [get_bd_cells ps]\n'
            f"set_property -dict [list CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {{{mhz}}} CONFIG.PCW_USE_S_AXI_HP0 {{1}}] [get_bd_cells ps]\n"
        )
        master, slave = "/ps/M_AXI_GP0", "/ps/S_AXI_HP0"
    else:
        ps = (
            "create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e ps\n"
            'apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset "1"} [get_bd_cells ps]\n'
            f"set_property -dict [list CONFIG.PSU__FPGA_PL0_ENABLE {{1}} CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {{{mhz}}} "
            "CONFIG.PSU__USE__S_AXI_GP2 {1} CONFIG.PSU__USE__M_AXI_GP0 {1}] [get_bd_cells ps]\n"
        )
        master, slave = "/ps/M_AXI_HPM0_FPD", "/ps/S_AXI_HP0_FPD"
    board_part = (
        f"if {{[lsearch [get_board_parts] {board.board_part}] >= 0}} {{ set_property board_part {board.board_part} [current_project] }}\n"
        if board.board_part
        else ""
    )
    return f"""# Vivado batch script written by hwcodesign (board {board.name}, part {board.part}, {mhz} MHz).
# Run: vivado -mode batch -source build_bitstream.tcl   (or: make bitstream RUN=<run folder>)
# Writes ../hwcd_accel.bit and ../hwcd_accel.hwh (PYNQ reads the clock from the .hwh).
{_sources_tcl()}set out [file normalize [file join [file dirname [info script]] ..]]
create_project -force hwcd_accel [file join $out vivado_prj] -part {board.part}
{board_part}add_files -norecurse $rtl
if {{[llength $mem]}} {{ add_files -norecurse $mem }}
update_compile_order -fileset sources_1
create_bd_design design_1
{ps}create_bd_cell -type ip -vlnv xilinx.com:ip:axi_dma axi_dma_0
set_property -dict [list CONFIG.c_include_sg {{0}} CONFIG.c_sg_length_width {{26}} \\
  CONFIG.c_m_axis_mm2s_tdata_width {{{bus}}} CONFIG.c_s_axis_s2mm_tdata_width {{{bus}}} \\
  CONFIG.c_mm2s_burst_size {{16}} CONFIG.c_s2mm_burst_size {{16}}] [get_bd_cells axi_dma_0]
create_bd_cell -type module -reference {spec["top"]} accel
connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXIS_MM2S] [get_bd_intf_pins accel/s_axis]
connect_bd_intf_net [get_bd_intf_pins accel/m_axis] [get_bd_intf_pins axi_dma_0/S_AXIS_S2MM]
apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config {{Master "{master}" Clk "Auto"}} [get_bd_intf_pins axi_dma_0/S_AXI_LITE]
apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config {{Slave "{slave}" Clk "Auto"}} [get_bd_intf_pins axi_dma_0/M_AXI_MM2S]
apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config {{Slave "{slave}" Clk "Auto"}} [get_bd_intf_pins axi_dma_0/M_AXI_S2MM]
apply_bd_automation -rule xilinx.com:bd_rule:clkrst -config {{Clk "/ps/pl_clk0 ({mhz} MHz)" }} [get_bd_pins accel/aclk]
validate_bd_design
save_bd_design
make_wrapper -files [get_files design_1.bd] -top -import
launch_runs impl_1 -to_step write_bitstream -jobs {jobs}
wait_on_run impl_1
file copy -force [glob [file join $out vivado_prj hwcd_accel.runs impl_1 *.bit]] [file join $out hwcd_accel.bit]
file copy -force [glob [file join $out vivado_prj hwcd_accel.gen sources_1 bd design_1 hw_handoff design_1.hwh]] [file join $out hwcd_accel.hwh]
"""


def _ip_tcl(board: Board) -> str:
    return f"""# Package the accelerator as a Vivado IP (bare part {board.part}: the deliverable for trigger
# firmware is an IP core, not a board shell). Run: vivado -mode batch -source package_ip.tcl
{_sources_tcl()}set out [file normalize [file join [file dirname [info script]] .. ip_repo]]
create_project -force hwcd_ip [file join $out prj] -part {board.part}
add_files -norecurse $rtl
if {{[llength $mem]}} {{ add_files -norecurse $mem }}
set_property top hwcd_accel [current_fileset]
update_compile_order -fileset sources_1
ipx::package_project -root_dir $out -vendor hwcodesign.org -library user -taxonomy /UserIP -import_files
ipx::save_core [ipx::current_core]
"""


def _vitis_files(spec: dict, folder: Path) -> None:
    """Alveo: the accelerator as an RTL kernel between two HLS data movers (Vitis streaming)."""
    bus = spec["bus_bits"]
    folder.mkdir(parents=True, exist_ok=True)
    mover = """#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>
typedef ap_axiu<{bus}, 0, 0, 0> beat;
extern "C" void {name}({args}) {{
#pragma HLS INTERFACE m_axi port=mem offset=slave bundle=gmem
#pragma HLS INTERFACE axis port=s
#pragma HLS INTERFACE s_axilite port=mem
#pragma HLS INTERFACE s_axilite port=n
#pragma HLS INTERFACE s_axilite port=return
    for (int i = 0; i < n; i++) {{
#pragma HLS PIPELINE II=1
{body}
    }}
}}
"""
    (folder / "mm2s.cpp").write_text(
        mover.format(
            bus=bus,
            name="mm2s",
            args=f"ap_uint<{bus}> *mem, hls::stream<beat> &s, int n",
            body="        beat b; b.data = mem[i]; b.keep = -1; b.last = (i == n - 1); s.write(b);",
        )
    )
    (folder / "s2mm.cpp").write_text(
        mover.format(
            bus=bus,
            name="s2mm",
            args=f"ap_uint<{bus}> *mem, hls::stream<beat> &s, int n",
            body="        beat b = s.read(); mem[i] = b.data;",
        )
    )
    (folder / "link.cfg").write_text(
        "[connectivity]\nnk=mm2s:1:mm2s_1\nnk=s2mm:1:s2mm_1\nnk=hwcd_accel:1:accel_1\n"
        "stream_connect=mm2s_1.s:accel_1.s_axis\nstream_connect=accel_1.m_axis:s2mm_1.s\n"
    )
    (folder / "build.sh").write_text(
        f"""#!/bin/bash
# Alveo build (Vitis): data movers + the accelerator as an RTL kernel, linked on the XDMA shell.
# Needs Vitis and the platform (e.g. xilinx_u250_gen3x16_xdma_4_1_202210_1). Not run by hwcodesign.
set -e
PLATFORM=${{PLATFORM:-xilinx_u250_gen3x16_xdma_4_1_202210_1}}
cd "$(dirname "$0")"
v++ -c -t hw --platform $PLATFORM -k mm2s mm2s.cpp -o mm2s.xo
v++ -c -t hw --platform $PLATFORM -k s2mm s2mm.cpp -o s2mm.xo
vivado -mode batch -source ../vivado/package_ip.tcl
# package_xo turns the IP into an RTL kernel (clock {spec["clock_mhz"]} MHz requested at link time)
vivado -mode batch -notrace -eval "package_xo -xo_path hwcd_accel.xo -kernel_name hwcd_accel -ip_directory ../ip_repo -ctrl_protocol ap_ctrl_none"
v++ -l -t hw --platform $PLATFORM --config link.cfg --kernel_frequency {spec["clock_mhz"]} mm2s.xo s2mm.xo hwcd_accel.xo -o hwcd_accel.xclbin
"""
    )


def _readme(spec: dict, board: Board, built: list[str]) -> str:
    latency = (
        f"The pipeline's latency is {spec['latency_cycles']} cycles (measured in Verilator by the rtl step); "
        "the wrapper adds the beat (de)serialisation."
        if spec.get("latency_cycles")
        else "The layers are finn-plus RTL layers, each simulated bit-exactly by the finn_rtlsim step."
    )
    shell = {
        "zynq-ps7": "a PYNQ board (Zynq-7000): `vivado -mode batch -source vivado/build_bitstream.tcl` "
        "(or `make bitstream RUN=runs/<name>` at the repository root) writes `hwcd_accel.bit` + `.hwh`; "
        "copy this folder to the board and run `run_on_board.ipynb`",
        "zynq-ps8": "a PYNQ board (Zynq UltraScale+ / Kria): as for Zynq-7000, with the PS8 block design",
        "alveo-xdma": "an Alveo card: `vitis/build.sh` (Vitis + XDMA platform) links the data movers and "
        "the RTL kernel into `hwcd_accel.xclbin`",
        "none": "trigger firmware: `vivado/package_ip.tcl` packages `ip/` as a Vivado IP (AXI4-Stream "
        "ports; or instantiate `ip/src/model_wrapper` with flat ports)",
    }[board.shell]
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
    (out / "vivado").mkdir()
    if board.shell in ("zynq-ps7", "zynq-ps8"):
        (out / "vivado" / "build_bitstream.tcl").write_text(zynq_tcl(spec, board))
    else:
        (out / "vivado" / "package_ip.tcl").write_text(_ip_tcl(board))
    if board.shell == "alveo-xdma":
        _vitis_files(spec, out / "vitis")
    if board.shell != "none":
        shutil.copy(DRIVER, out / "driver.py")
        (out / "run_on_board.ipynb").write_text(json.dumps(board_notebook(spec), indent=1))
    (out / "accelerator.json").write_text(json.dumps(spec, indent=2))
    return spec


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
