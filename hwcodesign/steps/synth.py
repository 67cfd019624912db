"""Step ``synth``: resources of the RTL from every source that is available.

* da4ml's own cost model (always): LUT and register-bit estimates.
* Yosys ``synth_xilinx`` (open): each pipeline stage on its own, in parallel and cached by
  content, within ``target.synth.yosys_timeout_s``. A cut is reported with the stages it
  covers, never hidden.
* Vivado (da4ml's project, post-route) and Vitis HLS (hls4ml's csynth), when on PATH.

Writes ``synth/`` (logs, ``resources.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..artifacts import HLS_PROJECT, RESOURCES, load_rtl_project, locate
from ..backends import vendor
from ..backends.da4ml.synth import count_products, da4ml_estimate, synth_stages
from ..errors import ToolNotFoundError
from ..records import Metric, ReportPart, StepResult, Table
from ..run import Run
from ..targets import yosys_family
from ..tools import vivado, yosys

__all__ = ["step_synth"]

_STAGES_TITLE = "Pipeline stages (da4ml estimate, Yosys per stage)"


def step_synth(run: Run, out: Path) -> StepResult:
    cfg = run.config.target
    project = load_rtl_project(run)
    tables, notes, tools, metrics = {}, [], {}, {}
    stage_tables: list[Table] = []  # one per Yosys mapping

    est = da4ml_estimate(project)
    tables["da4ml"] = vendor.resource_table(est, "estimate", "da4ml cost model (LUT = adder bits)", cfg.part)
    metrics["lut_da4ml"] = Metric(value=est["LUT"], unit="LUT", source="da4ml cost model", kind="estimate")

    try:
        family = yosys_family(cfg.part)
        tools["yosys"] = yosys.version()
        mappings = {"dsp": [False], "lut": [True], "both": [False, True]}[cfg.synth.products]
        products = count_products(project)
        if products == 0 and len(mappings) > 1:
            mappings = [False]
            notes.append(
                "no signal x signal products in the design (every product is with a constant, "
                "built from adders): Yosys with and without -nodsp gives the same netlist, 0 DSP"
            )
        for nodsp in mappings:
            ys = synth_stages(
                project,
                family,
                out / ("yosys_nodsp" if nodsp else "yosys"),
                cfg.synth.yosys_timeout_s,
                cache_dir=run.cache_dir("yosys"),
                nodsp=nodsp,
            )
            suffix = "_nodsp" if nodsp else ""
            src = f"yosys {yosys.version()} synth_xilinx -family {family}" + (" -nodsp" if nodsp else "")
            what = f"{products:,} signal x signal products as " + ("LUT logic" if nodsp else "DSP48")
            title = "Pipeline stages (Yosys -nodsp, per stage)" if nodsp else _STAGES_TITLE
            stage_tables.append(Table(title=title, rows=ys.rows))
            if ys.complete:
                tables[src] = vendor.resource_table(ys.counts, "estimate", f"{ys.note()}; {what}", cfg.part)
                for k in ("LUT", "FF", "DSP", "BRAM_18K", "CARRY"):
                    if k in ys.counts:
                        metrics[f"{k.lower()}_yosys{suffix}"] = Metric(
                            value=ys.counts[k], unit=k, source=src, kind="estimate", note=ys.note()
                        )
            else:
                tables[src] = vendor.resource_table(
                    ys.counts, "estimate", f"INCOMPLETE: {ys.note()}; {what}", cfg.part, complete=False
                )
                notes.append(f"{src} was cut: {ys.note()}. The da4ml estimate covers the whole design")
    except ToolNotFoundError as e:
        notes.append(str(e))

    found = vivado.available() if cfg.synth.use_vendor != "never" else set()
    vendor_used = False
    if "vivado" in found:
        vendor_used |= _add(vendor.vivado_post_route(project.folder, out, cfg.part), tables, notes)
    hls_tool = next((t for t in ("vitis_hls", "vivado_hls") if t in found), None)
    if hls_tool:
        vendor_used |= _add(
            vendor.vitis_csynth(locate(run, HLS_PROJECT), out, hls_tool, cfg.part), tables, notes
        )
    if cfg.synth.use_vendor == "always" and not vendor_used:
        vivado.find("vivado", "synth")  # raises with the install hint
    if not vendor_used:
        notes.append(
            "Vivado/Vitis not on PATH: resources are Yosys and da4ml estimates, not post-route numbers"
        )
    (out / RESOURCES.filename).write_text(
        json.dumps({k: t.model_dump() for k, t in tables.items()}, indent=2)
    )
    report = ReportPart(
        resources=tables,
        tables=[t for t in stage_tables if t.rows],
        notes=notes,
    )
    return StepResult(metrics=metrics, report=report, tools=tools)


def _add(result, tables: dict, notes: list[str]) -> bool:
    """Record a vendor run's table, or why there is none; True when it gave numbers."""
    if isinstance(result, str):
        notes.append(result)
        return False
    tables[result[0]] = result[1]
    return True
