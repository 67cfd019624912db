"""Step ``finn_rtlsim``: every RTL layer finn-plus generated, simulated in Verilator against
finn-plus' Python semantics of the layer (``backends/finn/rtlsim.py``): bit-exactness and
cycles per frame beside finn-plus' estimate. HLS layers need Vitis HLS to become RTL and
are listed as not simulated.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..artifacts import FINN_BUILD, load_dataset, locate
from ..backends.finn.reports import version as finn_version
from ..backends.finn.rtlsim import dataflow_inputs, reference_contexts, simulate_layer
from ..backends.finn.settings import finn_session
from ..errors import StepOrderError
from ..records import Metric, ReportPart, StepResult, Table
from ..run import Run
from ..tools import verilator

__all__ = ["step_finn_rtlsim"]

log = logging.getLogger(__name__)


def step_finn_rtlsim(run: Run, out: Path) -> StepResult:
    try:
        dataflow = locate(run, FINN_BUILD)
    except StepOrderError:
        note = "no dataflow graph: step finn could not map the model to HW layers (see its layer list)"
        return StepResult(report=ReportPart(notes=[note]), message=note)
    (out / "layers").mkdir()
    with finn_session(out / "build"):
        return _simulate(run, out, dataflow)


def _simulate(run: Run, out: Path, dataflow: Path) -> StepResult:
    from qonnx.core.modelwrapper import ModelWrapper

    model = ModelWrapper(str(dataflow))
    parent = ModelWrapper(str(dataflow.with_name("parent.onnx")))
    x_test = load_dataset(run).x_test
    n = min(run.config.target.finn.rtlsim_samples, len(x_test))
    contexts = reference_contexts(model, dataflow_inputs(parent, x_test[:n]))
    rows, rtl_nodes = [], [nd for nd in model.graph.node if nd.op_type.endswith("_rtl")]
    for node in model.graph.node:
        run.progress(
            "Verilator: finn-plus RTL layers", sum(1 for r in rows if r.get("simulated")), len(rtl_nodes)
        )
        row = {"layer": node.name, "op": node.op_type}
        if node.op_type.endswith("_rtl"):
            row.update(simulate_layer(model, node, contexts, out / "layers" / node.name), simulated=True)
        else:
            row["status"] = (
                "not simulated: HLS layer (Vitis HLS turns it into RTL)"
                if node.op_type.endswith("_hls")
                else "not simulated: not an RTL layer"
            )
        rows.append(row)
        log.info("%s: %s", node.name, row["status"])
    simulated = [r for r in rows if r.get("simulated")]
    exact = [r for r in simulated if r["status"] == "bit-exact"]
    src = f"Verilator {verilator.version()} simulation of each finn-plus RTL layer vs its Python semantics"
    latency = {}
    measured = [r for r in simulated if r.get("cycles_per_frame")]
    if measured:
        slowest = max(measured, key=lambda r: r["cycles_per_frame"])
        latency["slowest_rtl_layer_cycles_per_frame"] = Metric(
            value=slowest["cycles_per_frame"],
            unit="cycles",
            source=src,
            n=n,
            note=f"{slowest['layer']}; finn-plus estimate {slowest['finn_estimate_cycles']}",
        )
    frac = Metric(
        value=len(exact) / len(simulated) if simulated else None,
        unit="fraction",
        n=n,
        source=src,
        note=f"{len(exact)} of {len(simulated)} RTL layers, {n} frames each",
    )
    report = ReportPart(
        latency=latency,
        bit_exactness={"finn_rtl_layers_vs_python": frac},
        tables=[Table(title="finn-plus RTL layers simulated in Verilator", rows=rows)],
        notes=[f"{r['layer']} ({r['op']}): {r['status']}" for r in simulated if r["status"] != "bit-exact"],
    )
    return StepResult(
        metrics={
            "rtl_layers_simulated": Metric(value=len(simulated), unit="layers", source=src, n=n),
            "rtl_layers_bit_exact_fraction": frac,
        },
        report=report,
        tools={"verilator": verilator.version(), "finn-plus": finn_version()},
    )
