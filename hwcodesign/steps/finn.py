"""Step ``finn``: the QONNX model through finn-plus' Python API, no Vivado needed (stages in
``backends/finn/build.py``). After the stages that keep Python execution possible, the first
``verify_samples`` test samples run through the graph and are compared with the source model.

Writes ``finn/dataflow.onnx`` (the specialised, folded dataflow graph), ``finn/parent.onnx``
(what stays outside the accelerator), ``finn/report/estimate_*.json``, ``finn/layers.json``
(every layer: RTL / HLS / unmapped), ``finn/build/`` (generated HDL and C++).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from ..artifacts import FINN_BUILD, QONNX_MODEL, load_dataset, load_predictions, locate
from ..backends.finn import build as fb
from ..backends.finn.reports import parse_estimate_reports, version
from ..backends.finn.settings import finn_session
from ..records import Metric, ReportPart, StepResult, Table
from ..run import Run

__all__ = ["step_finn"]

log = logging.getLogger(__name__)

_TIES_NOTE = (
    "finn-plus Python execution differs from Brevitas on some images although the thresholds "
    "were made to round half-to-even like Brevitas (power-of-two scales): see the max_abs_diff "
    "metrics per stage"
)


def step_finn(run: Run, out: Path) -> StepResult:
    with finn_session(out / "build"):
        return _build(run, out)


def _build(run: Run, out: Path) -> StepResult:
    from finn.builder.build_dataflow_config import DataflowBuildConfig, DataflowOutputType
    from qonnx.core.modelwrapper import ModelWrapper

    target = run.config.target
    cfg = DataflowBuildConfig(
        output_dir=str(out / "output"),
        synth_clk_period_ns=target.clock_ns,
        fpga_part=target.part,
        target_fps=int(target.finn.target_fps),
        generate_outputs=[DataflowOutputType.ESTIMATE_REPORTS],
        standalone_thresholds=True,
        save_intermediate_models=True,
    )
    cfg.get_report_directory().mkdir(parents=True, exist_ok=True)
    ds = load_dataset(run)
    n = min(target.finn.verify_samples, len(ds.x_test))
    x, y_ref = ds.x_test[:n], load_predictions(run).reference[:n]

    model = ModelWrapper(str(locate(run, QONNX_MODEL)))
    times: dict[str, float] = {}
    metrics: dict[str, Metric] = {}
    try:
        model = _run_stages(run, model, cfg, x, y_ref, times, metrics)
    except _Unmapped as e:
        return _unmapped(e.model, out, e.error, metrics)

    fb.relocate_paths(model, out, run.root / "finn")
    model.save(str(out / FINN_BUILD.filename))
    parent = ModelWrapper(str(Path(cfg.get_intermediate_models_directory()) / "dataflow_parent.onnx"))
    parent.save(str(out / "parent.onnx"))
    layers = fb.layer_table(model, parent)
    (out / "layers.json").write_text(json.dumps(layers, indent=2))
    report_dir = out / "report"
    report_dir.mkdir(exist_ok=True)
    for f in Path(cfg.get_report_directory()).glob("*.json"):
        (report_dir / f.name).write_text(f.read_text())
    est = parse_estimate_reports(report_dir)
    (out / "time_per_stage.json").write_text(json.dumps(times, indent=2))
    notes = fb.unmapped_notes(layers)
    agree = metrics.get("argmax_agreement_convert_to_hw")
    if agree is not None and agree.value < 1.0 and getattr(run.config.quantization, "scaling", None) == "po2":
        notes.append(_TIES_NOTE)
    estimates = fb.estimate_metrics(est, target.clock_ns)
    inside = [r for r in layers if not r["implementation"].startswith("unmapped")]
    not_rtl = [f"{r['layer']} ({r['op']})" for r in inside if r["implementation"] != "RTL"]
    metrics["layers_rtl"] = Metric(
        value=len(inside) - len(not_rtl), unit="layers", source="finn-plus", kind="config"
    )
    metrics["layers_without_rtl"] = Metric(
        value=len(not_rtl), unit="layers", source="finn-plus", kind="config", note=", ".join(not_rtl)[:500]
    )
    bit = {"finn_python_vs_source_argmax": agree} if agree is not None else {}
    report = ReportPart(
        latency=estimates,
        model={k: metrics[k] for k in ("layers_rtl", "layers_without_rtl")},
        resources=fb.estimate_resources(est, target.part),
        bit_exactness=bit,
        tables=[
            Table(title="finn-plus layers: implementation and estimates", rows=fb.layer_rows(layers, est))
        ],
        notes=notes,
    )
    return StepResult(
        metrics={**metrics, **estimates},
        report=report,
        tools={"finn-plus": version()},
        info={"times": times, "mapped": fb.mapping_summary(layers)},
    )


class _Unmapped(Exception):  # noqa: N818 - a control-flow signal inside this module, not an error
    def __init__(self, model, error: str) -> None:
        self.model, self.error = model, error


def _run_stages(run: Run, model, cfg, x: np.ndarray, y_ref: np.ndarray, times: dict, metrics: dict):
    """finn-plus' stages in turn (``backends/finn/build.py``), timed; after the stages that keep
    Python execution possible, the test samples run through and are compared with the source.

    Raises:
        _Unmapped: the dataflow partition failed (layers without HW mapping between HW layers).
    """
    from finn.util.exception import FINNUserError

    from ..backends.finn.passes import has_integer_kernels, has_po2_scales

    # Brevitas rounds half to even; with power-of-two scales the thresholds can too (exactly)
    stages = fb.stages(
        run.config.target.finn, ties_to_even=has_po2_scales(model), integer_kernels=has_integer_kernels(model)
    )
    for i, (name, fn) in enumerate(stages):
        run.progress("finn-plus stages", i, len(stages))
        t0 = time.perf_counter()
        try:
            model = fn(model, cfg)
        except FINNUserError as e:
            if name != "dataflow_partition":
                raise
            raise _Unmapped(model, str(e)) from None
        times[name] = round(time.perf_counter() - t0, 2)
        log.info(
            "finn-plus %s: %.1f s, ops %s", name, times[name], sorted({nd.op_type for nd in model.graph.node})
        )
        if name in fb.VERIFY_AFTER:
            y = fb.execute_python(model, x)
            src = f"finn-plus {version()} Python execution after {name} vs the source model"
            metrics[f"argmax_agreement_{name}"] = Metric(
                value=float((y.argmax(1) == y_ref.argmax(1)).mean()), unit="fraction", n=len(x), source=src
            )
            metrics[f"max_abs_diff_{name}"] = Metric(
                value=float(np.abs(y - y_ref).max()), unit="", n=len(x), source=src
            )
    run.progress("finn-plus stages", len(stages), len(stages))
    return model


def _unmapped(model, out: Path, error: str, metrics: dict) -> StepResult:
    """finn-plus left layers between HW layers unmapped: list every layer, stop here."""
    rows = fb.unmapped_rows(model)
    (out / "layers.json").write_text(json.dumps(rows, indent=2))
    model.save(str(out / "converted.onnx"))
    note = f"finn-plus could not build one dataflow partition: {error}"
    return StepResult(
        metrics=metrics,
        report=ReportPart(
            tables=[Table(title="finn-plus layers: implementation and estimates", rows=rows)], notes=[note]
        ),
        tools={"finn-plus": version()},
        info={"mapped": fb.mapping_summary(rows)},
        message=note,
    )
