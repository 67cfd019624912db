"""Board shells: how a board reaches the accelerator, and what the package step writes for it.

A board (``hwcodesign.boards``) names its shell. Each shell writes its build scripts into the
package (``write(spec, board, out)``; ``spec["kind"]`` says whether the accelerator is a da4ml
pipeline or stitched finn-plus layers) and says whether the board runs the PYNQ driver. A new
shell is one ``SHELLS.register(Shell(...))`` (or an entry point in ``hwcodesign.board_shells``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..registry import Ref, Registry

if TYPE_CHECKING:
    from ..boards import Board

__all__ = ["Shell", "SHELLS", "zynq_tcl", "ip_tcl", "vitis_files"]


@dataclass(frozen=True)
class Shell:
    """A board shell: its name, the README's sentence on how to build and run, its writer."""

    name: str
    readme: str  # "For <readme>." in the package README
    write: Ref  # write(spec, board, out): the shell's build scripts
    pynq_driver: bool  # the package carries driver.py + run_on_board.ipynb


SHELLS: Registry[Shell] = Registry("board shell")


def write_zynq_ps7(spec: dict, board: Board, out: Path) -> None:
    """Vivado block design with the Zynq-7000 PS."""
    (out / "vivado").mkdir(exist_ok=True)
    (out / "vivado" / "build_bitstream.tcl").write_text(zynq_tcl(spec, board, "ps7"))


def write_zynq_ps8(spec: dict, board: Board, out: Path) -> None:
    """Vivado block design with the Zynq UltraScale+ PS."""
    (out / "vivado").mkdir(exist_ok=True)
    (out / "vivado" / "build_bitstream.tcl").write_text(zynq_tcl(spec, board, "ps8"))


def write_ip_core(spec: dict, board: Board, out: Path) -> None:
    """A da4ml accelerator as a Vivado IP (trigger firmware); stitched finn-plus layers have no
    IP script yet (finn-plus' own stitched-IP step needs Vivado)."""
    if spec.get("kind") == "da4ml":
        (out / "vivado").mkdir(exist_ok=True)
        (out / "vivado" / "package_ip.tcl").write_text(ip_tcl(board))


def write_alveo(spec: dict, board: Board, out: Path) -> None:
    """The IP plus the Vitis data movers and link config of an Alveo RTL kernel."""
    write_ip_core(spec, board, out)
    if spec.get("kind") == "da4ml":
        vitis_files(spec, out / "vitis")


def _sources_tcl() -> str:
    return """set ip [file normalize [file join [file dirname [info script]] .. ip]]
set rtl [concat [glob -nocomplain $ip/src/*.v $ip/src/*.sv $ip/src/static/*.v] [glob $ip/*.v]]
set mem [glob -nocomplain $ip/src/memfiles/*]
"""


def zynq_tcl(spec: dict, board: Board, ps: str = "ps8") -> str:
    """Vivado block design: PS (``ps7``: Zynq-7000, ``ps8``: Zynq UltraScale+) + AXI DMA (simple
    mode) + the accelerator at the target clock."""
    mhz, bus, jobs = spec["clock_mhz"], spec["bus_bits"], "[exec nproc]"
    if ps == "ps7":
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


def ip_tcl(board: Board) -> str:
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


def vitis_files(spec: dict, folder: Path) -> None:
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


for _shell in (
    Shell(
        "zynq-ps7",
        "a PYNQ board (Zynq-7000): `vivado -mode batch -source vivado/build_bitstream.tcl` "
        "(or `make bitstream RUN=runs/<name>` at the repository root) writes `hwcd_accel.bit` + `.hwh`; "
        "copy this folder to the board and run `run_on_board.ipynb`",
        write_zynq_ps7,
        True,
    ),
    Shell(
        "zynq-ps8",
        "a PYNQ board (Zynq UltraScale+ / Kria): as for Zynq-7000, with the PS8 block design",
        write_zynq_ps8,
        True,
    ),
    Shell(
        "alveo-xdma",
        "an Alveo card: `vitis/build.sh` (Vitis + XDMA platform) links the data movers and "
        "the RTL kernel into `hwcd_accel.xclbin`",
        write_alveo,
        False,
    ),
    Shell(
        "none",
        "trigger firmware: `vivado/package_ip.tcl` packages `ip/` as a Vivado IP (AXI4-Stream "
        "ports; or instantiate `ip/src/model_wrapper` with flat ports)",
        write_ip_core,
        False,
    ),
):
    SHELLS.register(_shell)
