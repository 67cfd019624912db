"""Verilator simulation of every RTL layer finn-plus generated, against finn-plus' own
Python semantics of each layer.

The reference: the dataflow graph executed node by node with each specialised layer's
base-class ``execute_node`` (what finn-plus' "python" mode computes). Each RTL layer gets
the same input frames as AXI streams (``axis_sim``); its output stream is unpacked and
compared bit for bit, and cycles per frame are measured next to finn-plus' estimate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import axis_sim

__all__ = ["run_graph", "reference_contexts", "simulate_layer", "dataflow_inputs", "layer_sources", "PATCHES"]

PATCHES = Path(__file__).resolve().parents[2] / "sim" / "finn_rtllib_patches"
_WEIGHT_STREAM_OPS = ("MVAU", "VVAU")


def _base_class(inst, op_type: str):
    base = op_type.rsplit("_", 1)[0] if op_type.endswith(("_rtl", "_hls")) else None
    return next((c for c in type(inst).__mro__ if c.__name__ == base), None) if base else None


def run_graph(model, frame: np.ndarray, stop_before: str | None = None) -> dict:
    """Execute a FINN graph node by node on one frame (HW layers with their base class'
    Python semantics) and return the context; stop before node ``stop_before`` if given."""
    from qonnx.core.onnx_exec import execute_node
    from qonnx.custom_op.registry import getCustomOp

    iname = model.graph.input[0].name
    opset = model.model.opset_import[0].version
    ctx = model.make_empty_exec_context()
    ctx[iname] = frame.reshape(model.get_tensor_shape(iname)).astype(np.float32)
    for node in model.graph.node:
        if node.name == stop_before:
            break
        inst = getCustomOp(node) if node.domain.startswith("finn") else None
        base = _base_class(inst, node.op_type) if inst is not None else None
        if base is not None:
            python = getattr(base, "_execute_node_python", None)  # layers that dispatch
            (python or base.execute_node)(inst, ctx, model.graph)  # on exec_mode
        else:
            execute_node(node, ctx, model.graph, opset)
    return ctx


def reference_contexts(model, inputs: list[np.ndarray]) -> list[dict]:
    """Execution contexts (every tensor) of the dataflow graph for each input frame, with
    each HW layer's Python semantics."""
    return [run_graph(model, frame) for frame in inputs]


def layer_sources(inst) -> tuple[Path, ...]:
    files = [Path(p) for p in inst.get_rtl_file_list(abspath=True)]
    return tuple(PATCHES / p.name if (PATCHES / p.name).exists() else p for p in files)


def simulate_layer(model, node, contexts: list[dict], workdir: Path) -> dict:
    """Simulate one RTL layer on the frames in ``contexts``; returns a result row."""
    from finn.util.data_packing import npy_to_rtlsim_input, rtlsim_output_to_npy
    from qonnx.custom_op.registry import getCustomOp

    inst = getCustomOp(node)
    streams, widths = [], []
    for i, tensor in enumerate(node.input):
        init = model.get_initializer(tensor)
        if init is None:
            dt, w = inst.get_input_datatype(i), inst.get_instream_width_padded(i)
            words = []
            for ctx in contexts:
                words += npy_to_rtlsim_input(ctx[tensor].reshape(inst.get_folded_input_shape(i)), dt, w)
        elif i == 1 and node.op_type.startswith(_WEIGHT_STREAM_OPS):
            wfile = workdir / "weights.npy"
            workdir.mkdir(parents=True, exist_ok=True)
            inst.make_weight_file(init, "decoupled_npy", str(wfile))
            w = inst.get_instream_width_padded(1)
            reps = int(np.prod(inst.get_nodeattr("numInputVectors"))) * len(contexts)
            words = npy_to_rtlsim_input(str(wfile), inst.get_input_datatype(1), w) * reps
        else:
            continue  # parameters embedded in the layer (thresholds, ...)
        if i != len(streams):
            return {"status": f"not simulated: stream inputs are not contiguous ({node.input})"}
        streams.append(words)
        widths.append(w)

    block = axis_sim.AxisBlock(
        inst.get_verilog_top_module_name(),
        layer_sources(inst),
        tuple(widths),
        inst.get_outstream_width_padded(),
    )
    exe, build = axis_sim.build_axis_sim(block, workdir)
    fold = inst.get_folded_output_shape()
    per_frame = int(np.prod(fold[:-1]))
    n_frames = len(contexts)
    expected_cycles = int(inst.get_exp_cycles())
    words, stats = axis_sim.run_axis_sim(
        exe,
        block,
        streams,
        per_frame * n_frames,
        workdir,
        cwd=Path(inst.get_nodeattr("code_gen_dir_ipgen")),
        max_cycles=max(100_000, 50 * expected_cycles * n_frames),
    )
    if stats["timed_out"]:
        return {
            "status": f"FAILED: {len(words)} of {per_frame * n_frames} output words in "
            f"{stats['cycles']} cycles",
            "build_s": build["seconds"],
        }
    odt = inst.get_output_datatype()
    exact = 0
    for f, ctx in enumerate(contexts):
        path = workdir / "frame_out.npy"
        rtlsim_output_to_npy(
            words[f * per_frame : (f + 1) * per_frame],
            str(path),
            odt,
            fold,
            inst.get_outstream_width_padded(),
            odt.bitwidth(),
        )
        expected = ctx[node.output[0]]
        exact += int(np.array_equal(np.load(path).reshape(expected.shape), expected))
    ends = stats["out_cycles"][per_frame - 1 :: per_frame]
    interval = float(np.mean(np.diff(ends))) if len(ends) > 1 else None
    return {
        "status": "bit-exact" if exact == n_frames else f"MISMATCH on {n_frames - exact} frames",
        "frames_exact": exact,
        "frames": n_frames,
        "first_frame_cycles": int(ends[0]) + 1,
        "cycles_per_frame": interval,
        "finn_estimate_cycles": expected_cycles,
        "build_s": build["seconds"],
        "build_cached": build["cached"],
    }


def dataflow_inputs(parent, x: np.ndarray) -> list[np.ndarray]:
    """What enters the accelerator: the parent graph executed up to its dataflow partition."""
    sdp = next(n for n in parent.graph.node if n.op_type == "StreamingDataflowPartition")
    return [np.array(run_graph(parent, xi, stop_before=sdp.name)[sdp.input[0]]) for xi in x]
