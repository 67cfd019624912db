"""Step ``finn``: the QONNX model through finn-plus' Python API, no Vivado needed.

qonnx_to_finn -> tidy-up -> streamline (+ finn-plus' StreamlinePlus) -> convert to HW
layers (finn-plus' transformer step: attention, split/concat, LayerNorm, MVAU, ...) ->
dataflow partition -> specialise (RTL variants where finn-plus has them) -> folding for
``target.finn.target_fps`` -> bit-width minimisation -> estimate reports -> HW code
generation. After the stages that keep Python execution possible, the first
``verify_samples`` test images are run through the graph and compared with Brevitas.

Writes ``finn/dataflow.onnx`` (the specialised, folded dataflow graph), ``finn/parent.onnx``
(what stays outside the accelerator), ``finn/report/estimate_*.json``, ``finn/layers.json``
(every layer: RTL / HLS / unmapped), ``finn/build/`` (generated HDL and C++).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..records import Metric, StepResult
from ..run import Run
from ..tools import finn as finn_tool
from .data import load_dataset
from .train_torch import brevitas_logits

__all__ = ["step_finn", "layer_table", "execute_python", "relocate_paths"]

log = logging.getLogger(__name__)

_VERIFY_AFTER = {"streamline", "convert_to_hw"}


def _stages(cfg) -> list[tuple[str, Callable]]:
    import finn.builder.build_dataflow_steps as S
    from finn.builder.custom_step_library.transformer_adhoc import step_convert_to_hw
    from finn.transformation.fpgadataflow.convert_to_hw.layer_norm import InferLayerNorm
    from finn.transformation.streamline.round_thresholds import RoundAndClipThresholds
    from finn.transformation.streamline.streamline_plus import StreamlinePlus

    from ..finnx import ExplicitLayerNormBias, FixMultiThresholdLayout, SplitSizesAsInput

    def qonnx_to_finn(m, c):
        return S.step_qonnx_to_finn(m, c).transform(FixMultiThresholdLayout()).transform(SplitSizesAsInput())

    def streamline(m, c):
        m = S.step_streamline(m, c).transform(StreamlinePlus())
        return m.transform(RoundAndClipThresholds())

    def convert_to_hw(m, c):
        m = step_convert_to_hw(m, c)
        return m.transform(ExplicitLayerNormBias()).transform(InferLayerNorm())

    def specialize(m, c):
        if not cfg.prefer_rtl:
            _prefer(m, "hls")
        return S.step_specialize_layers(m, c)

    return [
        ("qonnx_to_finn", qonnx_to_finn),
        ("tidy_up", S.step_tidy_up),
        ("streamline", streamline),
        ("convert_to_hw", convert_to_hw),
        ("dataflow_partition", S.step_create_dataflow_partition),
        ("specialize_layers", specialize),
        ("target_fps_folding", S.step_target_fps_parallelization),
        ("apply_folding", S.step_apply_folding_config),
        ("minimize_bit_width", S.step_minimize_bit_width),
        ("estimate_reports", S.step_generate_estimate_reports),
        ("hw_codegen", S.step_hw_codegen),
    ]


def _prefer(model, style: str) -> None:
    from qonnx.custom_op.registry import getCustomOp

    for node in model.graph.node:
        if node.domain.startswith("finn.custom_op.fpgadataflow"):
            getCustomOp(node).set_nodeattr("preferred_impl_style", style)


def execute_python(model, x: np.ndarray) -> np.ndarray:
    """Run images one by one through a (non-specialised) FINN graph with Python execution."""
    import finn.core.onnx_exec as oxe

    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    shape = model.get_tensor_shape(iname)
    outs = [
        oxe.execute_onnx(model, {iname: xi.reshape(shape).astype(np.float32)})[oname].reshape(-1) for xi in x
    ]
    return np.array(outs)


def layer_table(dataflow, parent) -> list[dict]:
    """Every layer with where it ends up: RTL, HLS, or unmapped (outside the accelerator)."""
    rows = []
    for node in parent.graph.node:
        if node.op_type == "StreamingDataflowPartition":
            for inner in dataflow.graph.node:
                impl = (
                    "RTL"
                    if inner.op_type.endswith("_rtl")
                    else "HLS"
                    if inner.op_type.endswith("_hls")
                    else "HW (generic)"
                )
                rows.append({"layer": inner.name, "op": inner.op_type, "implementation": impl})
        else:
            rows.append(
                {
                    "layer": node.name,
                    "op": node.op_type,
                    "implementation": "unmapped (outside the accelerator)",
                }
            )
    return rows


def relocate_paths(model, old: Path, new: Path) -> None:
    """Point code-generation folder attributes from the staging folder to the final one."""
    from qonnx.custom_op.registry import getCustomOp

    for node in model.graph.node:
        if not node.domain.startswith("finn.custom_op.fpgadataflow"):
            continue
        inst = getCustomOp(node)
        for attr in ("code_gen_dir_ipgen", "code_gen_dir_cppsim", "ipgen_path"):
            if attr in inst.get_nodeattr_types():
                value = inst.get_nodeattr(attr)
                if value and str(old) in value:
                    inst.set_nodeattr(attr, value.replace(str(old), str(new)))


def step_finn(run: Run, out: Path) -> StepResult:
    target = run.config.target
    finn_tool.bootstrap(out / "build")
    from finn.builder.build_dataflow_config import DataflowBuildConfig, DataflowOutputType
    from finn.util.exception import FINNUserError
    from qonnx.core.modelwrapper import ModelWrapper

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
    x, y_ref = ds.x_test[:n], brevitas_logits(run)[:n]

    model = ModelWrapper(str(run.path("qonnx") / "model.onnx"))
    times: dict[str, float] = {}
    metrics: dict[str, Metric] = {}
    stages = _stages(target.finn)
    for i, (name, fn) in enumerate(stages):
        run.progress("finn-plus stages", i, len(stages))
        t0 = time.perf_counter()
        if name == "dataflow_partition":
            try:
                model = fn(model, cfg)
            except FINNUserError as e:
                return _unmapped_result(model, out, str(e), times, metrics)
        else:
            model = fn(model, cfg)
        times[name] = round(time.perf_counter() - t0, 2)
        log.info(
            "finn-plus %s: %.1f s, ops %s", name, times[name], sorted({nd.op_type for nd in model.graph.node})
        )
        if name in _VERIFY_AFTER:
            y = execute_python(model, x)
            src = f"finn-plus {finn_tool.version()} Python execution after {name} vs Brevitas"
            metrics[f"argmax_agreement_{name}"] = Metric(
                value=float((y.argmax(1) == y_ref.argmax(1)).mean()), unit="fraction", n=n, source=src
            )
            metrics[f"max_abs_diff_{name}"] = Metric(
                value=float(np.abs(y - y_ref).max()), unit="", n=n, source=src
            )
    run.progress("finn-plus stages", len(stages), len(stages))

    relocate_paths(model, out, run.root / "finn")
    model.save(str(out / "dataflow.onnx"))
    parent_model = ModelWrapper(str(Path(cfg.get_intermediate_models_directory()) / "dataflow_parent.onnx"))
    parent_model.save(str(out / "parent.onnx"))
    layers = layer_table(model, parent_model)
    (out / "layers.json").write_text(json.dumps(layers, indent=2))
    report_dir = out / "report"
    report_dir.mkdir(exist_ok=True)
    for f in Path(cfg.get_report_directory()).glob("*.json"):
        (report_dir / f.name).write_text(f.read_text())
    est = finn_tool.parse_estimate_reports(report_dir)
    (out / "time_per_stage.json").write_text(json.dumps(times, indent=2))
    notes = _notes(layers)
    agree = metrics.get("argmax_agreement_convert_to_hw")
    if agree is not None and agree.value < 1.0 and run.config.quantization.scaling == "po2":
        notes.append(
            "finn-plus Python execution differs from Brevitas on some images: with power-of-two "
            "scales, values exactly halfway between two levels occur; Brevitas/QONNX round them "
            "half-to-even, finn-plus' thresholds round them up. Float scales avoid this "
            "(quantization.scaling: float); hls4ml needs power-of-two scales"
        )
    estimates = _estimate_metrics(est, target.clock_ns)
    return StepResult(
        metrics={**metrics, **estimates},
        tools={"finn-plus": finn_tool.version()},
        info={
            "layers": _layer_rows(layers, est),
            "times": times,
            "mapped": _mapping_summary(layers),
            "notes": notes,
            "resources": _resources(est, target.part),
            "latency": {k: m.model_dump() for k, m in estimates.items()},
        },
    )


def _unmapped_result(model, out: Path, error: str, times: dict, metrics: dict) -> StepResult:
    """finn-plus left layers between HW layers unmapped: list every layer, stop here."""
    rows = [
        {
            "layer": n.name,
            "op": n.op_type,
            "implementation": "HW layer"
            if n.domain.startswith("finn.custom_op.fpgadataflow")
            else "unmapped (no finn-plus HW layer)",
        }
        for n in model.graph.node
    ]
    (out / "layers.json").write_text(json.dumps(rows, indent=2))
    model.save(str(out / "converted.onnx"))
    note = f"finn-plus could not build one dataflow partition: {error}"
    return StepResult(
        metrics=metrics,
        tools={"finn-plus": finn_tool.version()},
        info={"layers": rows, "times": times, "mapped": _mapping_summary(rows), "notes": [note]},
        message=note,
    )


def _estimate_metrics(est: dict, clock_ns: float) -> dict[str, Metric]:
    net = est.get("network", {})
    src = "finn-plus analytical estimate (step_generate_estimate_reports)"
    out = {}
    if "estimated_throughput_fps" in net:
        out["estimate_fps"] = Metric(
            value=float(net["estimated_throughput_fps"]), unit="frames/s", source=src, kind="estimate"
        )
        out["estimate_latency_ns"] = Metric(
            value=float(net["estimated_latency_ns"]), unit="ns", source=src, kind="estimate"
        )
        out["estimate_max_cycles"] = Metric(
            value=int(net["max_cycles"]),
            unit="cycles",
            source=src,
            kind="estimate",
            note=f"slowest layer {net.get('max_cycles_node_name')}",
        )
        out["estimate_critical_path_cycles"] = Metric(
            value=int(net["critical_path_cycles"]), unit="cycles", source=src, kind="estimate"
        )
    return out


def _layer_rows(layers: list[dict], est: dict) -> list[dict]:
    by_name = {row["layer"]: row for row in est.get("layers", [])}
    rows = []
    for layer in layers:
        e = by_name.get(layer["layer"], {})
        rows.append(
            {
                **layer,
                "est. cycles": e.get("cycles"),
                "est. LUT": e.get("LUT"),
                "est. DSP": e.get("DSP"),
                "est. BRAM_18K": e.get("BRAM_18K"),
            }
        )
    return rows


def _mapping_summary(layers: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in layers:
        out.setdefault(row["implementation"], []).append(f"{row['layer']} ({row['op']})")
    return out


def _notes(layers: list[dict]) -> list[str]:
    unmapped = [f"{r['layer']} ({r['op']})" for r in layers if r["implementation"].startswith("unmapped")]
    if not unmapped:
        return []
    return [
        "not mapped to the FPGA, run in software before/after the accelerator: "
        + ", ".join(unmapped)
        + " (a trailing Mul is the output scale: the argmax does not depend on it)"
    ]


def _resources(est: dict, part: str) -> dict:
    from ..targets import utilisation

    total = {k: v for k, v in est.get("total", {}).items() if k in ("LUT", "DSP", "BRAM_18K", "URAM")}
    if not total:
        return {}
    return {
        "finn-plus estimate": {
            "kind": "estimate",
            "counts": total,
            "percent": utilisation(total, part),
            "part": part,
            "note": "analytical per-layer models, summed",
        }
    }
