"""Step ``finn_synth``: resources of the finn-plus design, layer by layer, from the best source
each layer has (``backends/finn/resources.py``): Yosys ``synth_xilinx`` for hwcodesign's RTL
layers, finn-plus' analytical estimates for finn-rtllib's (which Yosys cannot read), summed
and checked against the part. Writes ``finn_synth/resources.json`` and a per-layer table."""

from __future__ import annotations

import json
from pathlib import Path

from ..artifacts import FINN_BUILD, RESOURCES, locate
from ..errors import StepOrderError
from ..records import ReportPart, StepResult, Table
from ..run import Run

__all__ = ["step_finn_synth"]


def step_finn_synth(run: Run, out: Path) -> StepResult:
    from ..backends.finn.reports import version as finn_version
    from ..backends.finn.resources import layer_resources, total
    from ..backends.finn.settings import finn_session
    from ..backends.vendor import resource_table
    from ..tools import yosys

    target = run.config.target
    try:
        graph = locate(run, FINN_BUILD)
    except StepOrderError:
        note = "no resources: finn-plus did not build a dataflow graph"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    with finn_session(out / "build"):
        from qonnx.core.modelwrapper import ModelWrapper

        from ..backends.finn.ops import register_ops

        register_ops()
        rows = layer_resources(
            ModelWrapper(str(graph)),
            target.part,
            out / "yosys",
            run.cache_dir("yosys_layers"),
            lambda done, n: run.progress("resources per layer (Yosys / finn-plus)", done, n),
        )
    counts = total(rows)
    yosys_layers = sum(r["source"].startswith("yosys") for r in rows)
    note = (
        f"{yosys_layers} of {len(rows)} layers by Yosys synth_xilinx (hwcodesign's kernels), the others "
        "finn-plus' analytical estimates (Yosys cannot read finn-rtllib's SystemVerilog); no FIFOs or "
        "width converters between layers; FF only where every layer has a count"
    )
    source = f"yosys {yosys.version()} + finn-plus {finn_version()} estimates, per layer"
    table = resource_table(counts, "estimate", note, target.part)
    (out / RESOURCES.filename).write_text(json.dumps({source: table.model_dump()}, indent=2))
    shown = [{k: v for k, v in r.items()} for r in rows]
    return StepResult(
        report=ReportPart(
            resources={source: table},
            tables=[
                Table(title="Resources per layer (Yosys for hwcodesign's layers, else finn-plus)", rows=shown)
            ],
        ),
        tools={"yosys": yosys.version(), "finn-plus": finn_version()},
        info={"yosys_layers": yosys_layers, "layers": len(rows)},
    )
