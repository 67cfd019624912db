"""Verilator simulation of every RTL layer finn-plus generated, against finn-plus' own
Python semantics of each layer.

The reference: the dataflow graph executed node by node with each specialised layer's
base-class ``execute_node`` (what finn-plus' "python" mode computes). Each RTL layer gets
the same input frames as AXI streams (``axis_sim``); each of its output streams is unpacked
and compared bit for bit, and cycles per frame are measured next to finn-plus' estimate.
Initializer inputs are parameters inside the layer (thresholds, a ROM), except MVAU/VVAU
weights, which stream. hwcodesign's own layers (``backends/finn/ops``) are registered first.
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


def run_graph(model, frame: np.ndarray | dict[str, np.ndarray], stop_before: str | None = None) -> dict:
    """Execute a FINN graph node by node on one frame (HW layers with their base class'
    Python semantics) and return the context; stop before node ``stop_before`` if given.
    ``frame`` is the first graph input's value, or a dict of values for several inputs."""
    from qonnx.core.onnx_exec import execute_node
    from qonnx.custom_op.registry import getCustomOp

    from .ops import register_ops

    register_ops()
    frames = frame if isinstance(frame, dict) else {model.graph.input[0].name: frame}
    opset = model.model.opset_import[0].version
    ctx = model.make_empty_exec_context()
    for name, value in frames.items():
        ctx[name] = np.asarray(value).reshape(model.get_tensor_shape(name)).astype(np.float32)
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


def _input_streams(model, node, inst, contexts: list[dict], workdir: Path) -> tuple[list, list] | str:
    """(word lists, padded widths) of the layer's stream inputs, or why it cannot be simulated."""
    from finn.util.data_packing import npy_to_rtlsim_input

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
            continue  # parameters embedded in the layer (thresholds, a ROM, ...)
        if i != len(streams):
            return f"not simulated: stream inputs are not contiguous ({node.input})"
        streams.append(words)
        widths.append(w)
    return streams, widths


def _exact_frames(node, inst, contexts: list[dict], words: list[list[int]], workdir: Path) -> tuple[int, str]:
    """Frames on which every output equals the reference, and the first difference seen."""
    from finn.util.data_packing import rtlsim_output_to_npy

    exact, first = 0, ""
    for f, ctx in enumerate(contexts):
        same = True
        for j, tensor in enumerate(node.output):
            fold, odt = inst.get_folded_output_shape(j), inst.get_output_datatype(j)
            per_frame = int(np.prod(fold[:-1]))
            got = rtlsim_output_to_npy(
                words[j][f * per_frame : (f + 1) * per_frame],
                str(workdir / "frame_out.npy"),
                odt,
                fold,
                inst.get_outstream_width_padded(j),
                odt.bitwidth(),
            )
            expected = ctx[tensor]
            got = got.reshape(expected.shape)
            if not np.array_equal(got, expected):
                same = False
                bad = np.argwhere(got != expected)
                at = tuple(int(v) for v in bad[0])
                first = first or (
                    f"frame {f} output {j}: {len(bad)} of {expected.size} elements differ, first at "
                    f"{at}: got {got[at]}, expected {expected[at]}"
                )
        exact += int(same)
    return exact, first


def simulate_layer(model, node, contexts: list[dict], workdir: Path, ready_percent: int = 100) -> dict:
    """Simulate one RTL layer on the frames in ``contexts``; returns a result row.

    Every output is compared; ``ready_percent`` < 100 stalls each output independently on
    the other cycles (bit-exactness under back-pressure; cycles then exceed the estimate)."""
    from qonnx.custom_op.registry import getCustomOp

    from .ops import register_ops

    register_ops()
    inst = getCustomOp(node)
    found = _input_streams(model, node, inst, contexts, workdir)
    if isinstance(found, str):
        return {"status": found}
    streams, widths = found
    out_widths = [inst.get_outstream_width_padded(j) for j in range(len(node.output))]
    block = axis_sim.AxisBlock(
        inst.get_verilog_top_module_name(),
        layer_sources(inst),
        tuple(widths),
        out_widths[0],
        tuple(out_widths[1:]),
    )
    exe, build = axis_sim.build_axis_sim(block, workdir)
    per_frame = [int(np.prod(inst.get_folded_output_shape(j)[:-1])) for j in range(len(node.output))]
    n_frames = len(contexts)
    expected_cycles = int(inst.get_exp_cycles())
    words, stats = axis_sim.run_axis_sim_multi(
        exe,
        block,
        streams,
        [n * n_frames for n in per_frame],
        workdir,
        cwd=Path(inst.get_nodeattr("code_gen_dir_ipgen")),
        max_cycles=max(100_000, 50 * expected_cycles * n_frames * 100 // max(ready_percent, 1)),
        ready_percent=ready_percent,
    )
    if stats["timed_out"]:
        got = ", ".join(f"{len(w)} of {n * n_frames}" for w, n in zip(words, per_frame, strict=True))
        return {
            "status": f"FAILED: {got} output words in {stats['cycles']} cycles",
            "build_s": build["seconds"],
        }
    exact, first = _exact_frames(node, inst, contexts, words, workdir)
    extra = sum(stats["extra_words"])
    ends = np.max([c[n - 1 :: n] for c, n in zip(stats["out_cycles"], per_frame, strict=True)], axis=0)
    interval = float(np.mean(np.diff(ends))) if len(ends) > 1 else None
    status = "bit-exact" if exact == n_frames else f"MISMATCH on {n_frames - exact} frames ({first})"
    return {
        "status": status if not extra else f"MISMATCH: {extra} output words beyond the expected",
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
