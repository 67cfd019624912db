"""finn-plus dataflow build without Vivado, as a list of named stages, plus the tables and
estimates read from its results. Used inside ``settings.finn_session``.

qonnx_to_finn -> tidy-up -> streamline (+ finn-plus' StreamlinePlus) -> convert to HW
layers (finn-plus' transformer step: attention, split/concat, LayerNorm, MVAU, ...) ->
dataflow partition -> specialise (RTL variants where finn-plus has them) -> folding for
``target_fps`` -> bit-width minimisation -> estimate reports -> HW code generation.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from ...records import Metric, ResourceTable

__all__ = [
    "stages",
    "VERIFY_AFTER",
    "execute_python",
    "layer_table",
    "relocate_paths",
    "unmapped_rows",
    "estimate_metrics",
    "layer_rows",
    "mapping_summary",
    "unmapped_notes",
    "estimate_resources",
]


VERIFY_AFTER = {"streamline", "integer_layers", "convert_to_hw"}


def stages(cfg, ties_to_even: bool = False, integer_kernels: bool = False) -> list[tuple[str, Callable]]:
    """The build as named stages. ``ties_to_even``: make thresholds round half to even like
    Brevitas (exact with power-of-two scales: ``passes.has_po2_scales``). ``integer_kernels``: the
    model holds hwcodesign's kernels (``passes.has_integer_kernels``); it gets the
    ``integer_layers`` stage (``passes/integer.py``), which turns act x act MatMuls into RTL
    ``ActMatMul`` (without it, finn-plus' own attention operator takes them)."""
    from .ops import register_ops

    register_ops()  # hwcodesign's RTL layers into finn-plus' domains (SpecializeLayers picks them)
    import finn.builder.build_dataflow_steps as S

    named = [
        ("qonnx_to_finn", _qonnx_to_finn),
        ("tidy_up", S.step_tidy_up),
        ("streamline", partial(_streamline, ties_to_even=ties_to_even)),
        ("integer_layers", partial(_integer_layers, ties_to_even=ties_to_even)),
        ("convert_to_hw", _convert_to_hw),
        ("dataflow_partition", S.step_create_dataflow_partition),
        ("specialize_layers", partial(_specialize, prefer_rtl=cfg.prefer_rtl)),
        ("target_fps_folding", _target_fps_folding),
        ("apply_folding", S.step_apply_folding_config),
        ("minimize_bit_width", S.step_minimize_bit_width),
        ("estimate_reports", S.step_generate_estimate_reports),
        ("hw_codegen", S.step_hw_codegen),
    ]
    return [(name, fn) for name, fn in named if integer_kernels or name != "integer_layers"]


def _qonnx_to_finn(m, c):
    import finn.builder.build_dataflow_steps as S

    from .passes import FixMultiThresholdLayout, SplitSizesAsInput

    return S.step_qonnx_to_finn(m, c).transform(FixMultiThresholdLayout()).transform(SplitSizesAsInput())


def _round_thresholds(m, ties_to_even: bool):
    from finn.transformation.streamline.round_thresholds import RoundAndClipThresholds

    from .passes import RoundThresholdTiesToEven

    if ties_to_even:
        m = m.transform(RoundThresholdTiesToEven())
    return m.transform(RoundAndClipThresholds())


def _streamline(m, c, ties_to_even: bool):
    """finn's streamline, then StreamlinePlus without the RoundAndClipThresholds it ends with
    (its ceil forgets which thresholds were exact ties), the rounding once (ties to even), and
    the full StreamlinePlus for whatever the rounding enabled."""
    import finn.builder.build_dataflow_steps as S
    from finn.transformation.streamline.round_thresholds import RoundAndClipThresholds
    from finn.transformation.streamline.streamline_plus import StreamlinePlus

    plus = StreamlinePlus()
    plus.transformations = [t for t in plus.transformations if not isinstance(t, RoundAndClipThresholds)]
    m = _round_thresholds(S.step_streamline(m, c).transform(plus), ties_to_even)
    return m.transform(StreamlinePlus())


def _integer_layers(m, c, ties_to_even: bool):
    from finn.transformation.streamline.absorb import AbsorbMulIntoMultiThreshold
    from qonnx.transformation.infer_datatypes import InferDataTypes
    from qonnx.transformation.infer_shapes import InferShapes

    from .passes import InferActMatMul, InferIntegerAdd, InferIntegerKernels

    for p in (InferIntegerKernels(), InferActMatMul(), InferIntegerAdd(), InferShapes(), InferDataTypes()):
        m = m.transform(p)
    m = m.transform(AbsorbMulIntoMultiThreshold()).transform(InferDataTypes())
    return _round_thresholds(m, ties_to_even)


def _convert_to_hw(m, c):
    from finn.builder.custom_step_library.transformer_adhoc import step_convert_to_hw
    from finn.transformation.fpgadataflow.convert_to_hw.layer_norm import InferLayerNorm

    from .passes import ExplicitLayerNormBias

    m = step_convert_to_hw(m, c)
    return m.transform(ExplicitLayerNormBias()).transform(InferLayerNorm())


def _target_fps_folding(m, c):
    import finn.builder.build_dataflow_steps as S

    from .passes import FoldIntegerLayers

    m = S.step_target_fps_parallelization(m, c)
    target = 1e9 / (c.target_fps * c.synth_clk_period_ns)  # cycles per frame at the clock
    return m.transform(FoldIntegerLayers(target))


def _specialize(m, c, prefer_rtl: bool):
    import finn.builder.build_dataflow_steps as S

    if not prefer_rtl:
        _prefer(m, "hls")
    return S.step_specialize_layers(m, c)


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


def unmapped_rows(model) -> list[dict]:
    """Every layer of a graph finn-plus could not partition: HW layer or unmapped."""
    return [
        {
            "layer": n.name,
            "op": n.op_type,
            "implementation": "HW layer"
            if n.domain.startswith("finn.custom_op.fpgadataflow")
            else "unmapped (no finn-plus HW layer)",
        }
        for n in model.graph.node
    ]


def estimate_metrics(est: dict, clock_ns: float) -> dict[str, Metric]:
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


def layer_rows(layers: list[dict], est: dict) -> list[dict]:
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


def mapping_summary(layers: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in layers:
        out.setdefault(row["implementation"], []).append(f"{row['layer']} ({row['op']})")
    return out


def unmapped_notes(layers: list[dict]) -> list[str]:
    unmapped = [f"{r['layer']} ({r['op']})" for r in layers if r["implementation"].startswith("unmapped")]
    if not unmapped:
        return []
    return [
        "not mapped to the FPGA, run in software before/after the accelerator: "
        + ", ".join(unmapped)
        + " (a trailing Mul is the output scale: the argmax does not depend on it)"
    ]


def estimate_resources(est: dict, part: str) -> dict[str, ResourceTable]:
    from ..vendor import resource_table

    total = {k: v for k, v in est.get("total", {}).items() if k in ("LUT", "DSP", "BRAM_18K", "URAM")}
    if not total:
        return {}
    return {
        "finn-plus estimate": resource_table(total, "estimate", "analytical per-layer models, summed", part)
    }
