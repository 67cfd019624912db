"""Vivado / Vitis HLS runs on the projects hwcodesign writes, when the tools are on PATH:
Vivado post-route utilisation of a da4ml project, Vitis HLS csynth of an hls4ml project.
Without them nothing here runs and the report says so; the parsers (``tools/vivado.py``)
are tested on real report files."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..records import ResourceTable
from ..targets import part_info, utilisation
from ..tools import vivado
from ..tools.process import run_logged

__all__ = ["resource_table", "vivado_post_route", "vitis_csynth"]


def resource_table(counts: dict, kind: str, note: str, part: str, complete: bool = True) -> ResourceTable:
    return ResourceTable(
        kind=kind,
        counts=counts,
        percent=utilisation(counts, part) if complete else {},
        part=part_info(part).device,
        complete=complete,
        note=note,
    )


def vivado_post_route(da4ml_project: Path, workdir: Path, part: str) -> tuple[str, ResourceTable] | str:
    """(source, table) of a Vivado build of the da4ml project, or why there is none."""
    prj = workdir / "vivado"
    shutil.copytree(da4ml_project, prj)
    res = run_logged(
        "vivado",
        ["vivado", "-mode", "batch", "-source", "build_vivado_prj.tcl"],
        prj,
        workdir / "vivado.log",
        timeout_s=6 * 3600,
        check=False,
    )
    rpt = prj / "output_model" / "reports" / "model_post_route_util.rpt"
    if not (res.ok and rpt.is_file()):
        return f"Vivado run failed (see {workdir / 'vivado.log'})"
    parsed = vivado.parse_utilization_rpt(rpt.read_text())
    return f"vivado {parsed.get('version', '')} post-route", resource_table(
        parsed["used"], "post-route", f"da4ml project, {rpt.name}", part
    )


def vitis_csynth(hls_project: Path, workdir: Path, tool: str, part: str) -> tuple[str, ResourceTable] | str:
    """(source, table) of Vitis/Vivado HLS csynth of the hls4ml project, or why there is none."""
    prj = workdir / "hls_project"
    shutil.copytree(hls_project, prj)
    (prj / "build_opt.tcl").write_text(
        "array set opt {\n reset 0\n csim 0\n synth 1\n cosim 0\n validation 0\n"
        " export 0\n vsynth 0\n fifo_opt 0\n}\n"
    )
    cmd = (
        ["vitis-run", "--tcl", "build_prj.tcl", "--mode", "hls"]
        if shutil.which("vitis-run")
        else [tool, "-f", "build_prj.tcl"]
    )
    res = run_logged(tool, cmd, prj, workdir / "hls_build.log", timeout_s=6 * 3600, check=False)
    xml = next(prj.glob("*_prj/solution1/syn/report/*_csynth.xml"), None)
    if not (res.ok and xml is not None):
        return f"{tool} run failed (see {workdir / 'hls_build.log'})"
    parsed = vivado.parse_csynth_xml(xml.read_text())
    return f"{tool} {parsed.get('version')} csynth (hls4ml)", resource_table(
        parsed["resources"], "estimate", "HLS estimate of the hls4ml project", part
    )
