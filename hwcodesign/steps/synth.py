"""Step ``synth``: resources of the RTL from every source that is available.

* da4ml's own cost model (always): LUT and register-bit estimates.
* Yosys ``synth_xilinx`` (open): each pipeline stage of the da4ml design is synthesised on
  its own, in parallel and cached by content, within ``target.synth.yosys_timeout_s``;
  pipeline registers are counted from the top module. A cut is reported, not hidden.
* Vivado (da4ml's project, post-route) and Vitis HLS (hls4ml's csynth), when on PATH.

Writes ``synth/`` (logs, ``resources.json``) and adds a resources section to the report.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path

from ..errors import ToolNotFoundError
from ..records import Metric, StepResult
from ..run import Run
from ..targets import part_info, utilisation, yosys_family
from ..tools import vivado, yosys
from ..tools._process import run_logged

__all__ = ["step_synth", "stage_sources", "register_bits"]

log = logging.getLogger(__name__)


def stage_sources(src: Path, project: str) -> tuple[list[tuple[str, list[Path]]], list[Path]]:
    """(stage module, its sources) jobs for a da4ml pipeline, and the static library files."""
    static = sorted((src / "static").glob("*.v"))
    stages = sorted(
        src.glob(f"{project}_stage*.v"), key=lambda p: int(re.search(r"stage(\d+)", p.name).group(1))
    )
    return [(p.stem, [p, *static]) for p in stages], static


def register_bits(top_verilog: str) -> int:
    """Bits of every ``reg [h:l] name;`` (and output reg) in the pipeline's top module."""
    total = 0
    for m in re.finditer(r"\breg\s*(?:\[(\d+):(\d+)\])?\s*\w+", top_verilog):
        hi, lo = m.group(1), m.group(2)
        total += (int(hi) - int(lo) + 1) if hi is not None else 1
    return total


def step_synth(run: Run, out: Path) -> StepResult:
    cfg = run.config.target
    rtl_dir = run.path("rtl") / "da4ml"
    meta = json.loads((rtl_dir / "metadata.json").read_text())
    project = "model"
    info = part_info(cfg.part)
    resources: dict[str, dict] = {}
    notes: list[str] = []
    tools: dict[str, str] = {}
    metrics: dict[str, Metric] = {}

    est = {"LUT": int(meta["cost"]), "FF": int(meta.get("reg_bits", 0)), "DSP": 0, "BRAM_18K": 0}
    resources["da4ml"] = _section(est, "estimate", "da4ml cost model (LUT = adder bits)", cfg.part)
    metrics["lut_da4ml"] = Metric(value=est["LUT"], unit="LUT", source="da4ml cost model", kind="estimate")

    layers: list[dict] = []
    try:
        counts, ynote, cut = _yosys(
            rtl_dir / "src", project, yosys_family(cfg.part), out / "yosys", cfg.synth.yosys_timeout_s, layers
        )
        ysrc = f"yosys {yosys.version()} synth_xilinx -family {yosys_family(cfg.part)}"
        tools["yosys"] = yosys.version()
        if cut:
            notes.append(f"Yosys was cut: {ynote}. The da4ml estimate covers the whole design")
            resources[ysrc] = {
                "kind": "estimate",
                "counts": counts,
                "percent": {},
                "part": info.device,
                "note": f"INCOMPLETE: {ynote}",
            }
        else:
            resources[ysrc] = _section(counts, "estimate", ynote, cfg.part)
            for k in ("LUT", "FF", "DSP", "BRAM_18K", "CARRY"):
                if k in counts:
                    metrics[f"{k.lower()}_yosys"] = Metric(
                        value=counts[k], unit=k, source=ysrc, kind="estimate", note=ynote
                    )
    except ToolNotFoundError as e:
        notes.append(str(e))

    vendor = _vendor(run, out, notes, tools) if cfg.synth.use_vendor != "never" else {}
    resources.update(vendor)
    if cfg.synth.use_vendor == "always" and not vendor:
        vivado.find("vivado", "synth")  # raises with the install hint
    if not vendor:
        notes.append(
            "Vivado/Vitis not on PATH: resources are Yosys and da4ml estimates, not post-route numbers"
        )
    (out / "resources.json").write_text(json.dumps(resources, indent=2))
    return StepResult(
        metrics=metrics, tools=tools, info={"resources": resources, "notes": notes, "layers": layers}
    )


def _section(counts: dict, kind: str, note: str, part: str) -> dict:
    return {
        "kind": kind,
        "counts": counts,
        "percent": utilisation(counts, part),
        "part": part_info(part).device,
        "note": note,
    }


def _yosys(src: Path, project: str, family: str, workdir: Path, budget_s: float, layers: list[dict]):
    """Per-stage synthesis; returns (counts, note, cut?) and fills the per-stage table."""
    jobs, _ = stage_sources(src, project)
    results = yosys.synth_modules(
        jobs, family, workdir, budget_s, os.cpu_count() or 1, memory_dir=src / "memfiles"
    )
    done = {k: r for k, r in results.items() if r is not None and not r.timed_out}
    for name, r in results.items():
        row = {"pipeline stage": name.rsplit("_", 1)[-1]}
        if name in done:
            row.update({k: r.counts.get(k, 0) for k in ("LUT", "CARRY", "MUXF", "DSP")})
            row["yosys s"] = round(r.seconds, 1)
        else:
            row["status"] = "cut" if r is not None else "not started"
        layers.append(row)
    counts: dict[str, int] = {}
    for r in done.values():
        for k, v in r.counts.items():
            counts[k] = counts.get(k, 0) + v
    counts["FF"] = counts.get("FF", 0) + register_bits((src / f"{project}.v").read_text())
    seconds = sum(r.seconds for r in results.values() if r is not None)
    n_cached = sum(1 for r in done.values() if "cached" in r.notes)
    missing = [k for k in results if k not in done]
    if missing:
        return (
            counts,
            (f"{len(missing)} of {len(jobs)} pipeline stages not synthesised within {budget_s:.0f} s"),
            True,
        )
    note = (
        f"{len(jobs)} pipeline stages synthesised separately ({n_cached} from cache, "
        f"{seconds:.0f} s of Yosys time); FF = pipeline register bits"
    )
    return counts, note, False


def _vendor(run: Run, out: Path, notes: list[str], tools: dict[str, str]) -> dict[str, dict]:
    """Vivado post-route numbers of the da4ml project, and Vitis HLS csynth of the hls4ml one."""
    cfg = run.config.target
    found = vivado.available()
    sections: dict[str, dict] = {}
    if "vivado" in found:
        prj = out / "vivado"
        shutil.copytree(run.path("rtl") / "da4ml", prj)
        res = run_logged(
            "vivado",
            ["vivado", "-mode", "batch", "-source", "build_vivado_prj.tcl"],
            prj,
            out / "vivado.log",
            timeout_s=6 * 3600,
            check=False,
        )
        rpt = prj / "output_model" / "reports" / "model_post_route_util.rpt"
        if res.ok and rpt.is_file():
            parsed = vivado.parse_utilization_rpt(rpt.read_text())
            tools["vivado"] = parsed.get("version", "")
            sections[f"vivado {parsed.get('version', '')} post-route"] = _section(
                parsed["used"], "post-route", f"da4ml project, {rpt.name}", cfg.part
            )
        else:
            notes.append(f"Vivado run failed (see {out / 'vivado.log'})")
    hls_tool = next((t for t in ("vitis_hls", "vivado_hls") if t in found), None)
    if hls_tool:
        prj = out / "hls_project"
        shutil.copytree(run.path("hls") / "project", prj)
        (prj / "build_opt.tcl").write_text(
            "array set opt {\n reset 0\n csim 0\n synth 1\n cosim 0\n validation 0\n"
            " export 0\n vsynth 0\n fifo_opt 0\n}\n"
        )
        cmd = (
            ["vitis-run", "--tcl", "build_prj.tcl", "--mode", "hls"]
            if shutil.which("vitis-run")
            else [hls_tool, "-f", "build_prj.tcl"]
        )
        res = run_logged(hls_tool, cmd, prj, out / "hls_build.log", timeout_s=6 * 3600, check=False)
        xml = next(prj.glob("*_prj/solution1/syn/report/*_csynth.xml"), None)
        if res.ok and xml is not None:
            parsed = vivado.parse_csynth_xml(xml.read_text())
            tools[hls_tool] = parsed.get("version") or ""
            sections[f"{hls_tool} {parsed.get('version')} csynth (hls4ml)"] = _section(
                parsed["resources"], "estimate", "HLS estimate of the hls4ml project", cfg.part
            )
        else:
            notes.append(f"{hls_tool} run failed (see {out / 'hls_build.log'})")
    return sections
