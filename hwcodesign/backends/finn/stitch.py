"""A whole finn-plus dataflow graph of RTL layers as one Verilog top (``hwcd_dataflow``), and
FIFO depths for it sized by simulation.

**Stitching.** Every tensor of the graph is an edge, wired by name from its producer's
``out<j>_V`` to its consumer's ``in<i>_V`` (finn-plus' port names), through a FIFO
(``deploy/rtl/hwcd_stream_fifo.v``) on every edge between two layers. Fan-out goes only through
ReplicateStream; several inputs (IntAdd, ActMatMul, StreamingConcat) and several outputs
(StreamingSplit, ReplicateStream) are ordinary ports. Width converters are finn-plus' own
(InsertDWC on edges whose folding differs, then DWC_rtl: ``stitchable``). MVAU/VVAU weights
stream from ROMs (``hwcd_rom_stream``); other parameters are inside the layers. A stream
input the stitcher cannot feed is refused naming the layer. The graph's inputs and outputs
are the top's ``in<i>_V`` / ``out<j>_V``; ``HWCD_FIFO_GAUGES`` adds a FIFO occupancy readout.

**FIFO sizing** (``size_fifos``): first every FIFO holds k whole frames of its edge, k the
frames in flight at full rate (``frames_in_flight``: finn-plus' critical path over its slowest
layer, + 1; one frame is enough for no deadlock, but a skip edge around a long path must hold
more or it throttles the design below its slowest layer). That cannot deadlock (for k = 1; more
room only helps): take the earliest frame f some layer has not finished (read all its frame-f
input and written all its frame-f output) and the first such layer in topological order. Its
producers have finished frame f, so all its frame-f input has been written; its consumers have
finished frame f-1, so its output FIFOs hold only frame-f beats of it, and each has room for a
whole frame. Each layer completes a frame given its whole input and room for its whole output
(what ``finn_rtlsim`` checks per layer), so that layer can move: no state is stuck. The deep
design runs ``SIZING_FRAMES`` frames back to back (its steady-state frame interval I), then
paced at one frame per I cycles, with and without random input gaps and output stalls. Back to
back, frames queue up in front of the slowest layer (FIFOs fill: throughput buffering, not
needed); paced at the rate the design sustains, each FIFO's maximum occupancy (read from its
gauge) is what the reconvergent paths and rate changes within a frame need. Depth = that
maximum + ``FIFO_MARGIN`` (at most the deep depth, at least 2). A FIFO that never fills behaves
identically at any depth, so the sized design must give the same outputs at the same cycles on
the paced runs, and the same outputs and interval back to back: ``size_fifos`` checks that, and
sends a FIFO that filled where it changed the outcome (or a deadlock's full FIFO) back to its
deep depth.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np

from ...errors import BitExactnessError, InternalError, UnsupportedLayerError
from . import stitch_top

__all__ = [
    "TOP",
    "RTL_DIR",
    "FIFO_MARGIN",
    "SIZING_FRAMES",
    "check_all_rtl",
    "stitchable",
    "layers_without_rtl",
    "parent_output_scale",
    "stitch",
    "fifo_depths",
    "size_fifos",
]

TOP = "hwcd_dataflow"
RTL_DIR = Path(__file__).resolve().parents[2] / "deploy" / "rtl"
FIFO_MARGIN = 2  # beats above the measured maximum: 1 so the FIFO never fills, 1 spare
SIZING_STALL_PCT = 30  # % random input gaps and output stalls of the stalled sizing runs
SIZING_FRAMES = 16  # back-to-back frames FIFOs are sized on (the pipeline holds ~3 frames of the tiny ViT)
_WEIGHT_STREAM_OPS = ("MVAU", "VVAU")
#: stream inputs of RTL layers that are fed a constant: (op_type, input index) -> why
_TIED_STREAMS = {("Thresholding_rtl", 1): "threshold-set selection (one set: unused)"}


def stitchable(model, part: str, clock_ns: float):
    """The graph as finn-plus stitches it: data-width converters on edges whose folding differs
    (InsertDWC), specialised to RTL and named ``StreamingDataWidthConverter_rtl_<k>``, their HDL
    generated (PrepareIP). The other layers keep their names and HDL (their module names).
    Deterministic: the same graph gives the same names."""
    from finn.transformation.fpgadataflow.insert_dwc import InsertDWC
    from finn.transformation.fpgadataflow.prepare_ip import PrepareIP
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers
    from qonnx.custom_op.registry import getCustomOp

    model = model.transform(InsertDWC())
    for node in model.graph.node:
        if node.op_type == "StreamingDataWidthConverter":
            getCustomOp(node).set_nodeattr("preferred_impl_style", "rtl")
    model = model.transform(SpecializeLayers(part))
    _name_new_nodes(model)
    return model.transform(PrepareIP(part, clock_ns))


def _name_new_nodes(model) -> None:
    """Width converters (InsertDWC's) get outputs named ``<node>_out0``, nameless nodes names
    ``<op>_<k>``: InsertDWC's tensor names are random, and the same graph must stitch to the same
    Verilog byte for byte (so builds are cached and the package equals the stitch step's design)."""
    names = {n.name for n in model.graph.node}
    tensors = {t for n in model.graph.node for t in (*n.input, *n.output)}
    graph_outputs = {o.name for o in model.graph.output}
    k = 0
    for node in model.graph.node:
        if not node.name:
            while f"{node.op_type}_{k}" in names:
                k += 1
            node.name = f"{node.op_type}_{k}"
            names.add(node.name)
        if not node.op_type.startswith("StreamingDataWidthConverter"):
            continue
        new = f"{node.name}_out0"
        if node.output[0] != new and new not in tensors and node.output[0] not in graph_outputs:
            model.rename_tensor(node.output[0], new)
            tensors.add(new)


def layers_without_rtl(model) -> list[str]:
    """Names of the graph's layers that are not RTL layers (HLS, or not HW at all)."""
    return [n.name for n in model.graph.node if not n.op_type.endswith("_rtl")]


def parent_output_scale(parent) -> float:
    """The scale the accelerator's raw outputs get in software: after the dataflow partition,
    the parent graph may hold at most one scalar Mul (what runs before it is the input's
    pre-processing, see ``rtlsim.dataflow_inputs``).

    Raises:
        UnsupportedLayerError: any other node after the partition.
    """
    first = [n.op_type for n in parent.graph.node].index("StreamingDataflowPartition") + 1
    after = list(parent.graph.node)[first:]
    if not after:
        return 1.0
    if len(after) == 1 and after[0].op_type == "Mul":
        scale = parent.get_initializer(after[0].input[1])
        if scale is not None and np.asarray(scale).size == 1:
            return float(np.asarray(scale).reshape(()))
    raise UnsupportedLayerError(
        after[0].name,
        after[0].op_type,
        first,
        "the accelerator's output (software after the dataflow partition)",
        ["a scalar output Mul after the dataflow partition"],
        "keep post-processing out of the exported graph",
    )


def _folded(inst, index: int, output: bool) -> dict:
    """Width, folded shape, type and beats per frame of one stream of a layer."""
    if output:
        width, fold = inst.get_outstream_width_padded(index), inst.get_folded_output_shape(index)
        dtype, shape = inst.get_output_datatype(index), inst.get_normal_output_shape(index)
    else:
        width, fold = inst.get_instream_width_padded(index), inst.get_folded_input_shape(index)
        dtype, shape = inst.get_input_datatype(index), inst.get_normal_input_shape(index)
    fold = [int(v) for v in fold]
    return {
        "width": int(width),
        "folded_shape": fold,
        "shape": [int(v) for v in shape],
        "dtype": dtype.name,
        "frame_beats": int(np.prod(fold[:-1])),
    }


def _edges(model) -> tuple[list[dict], list[dict], list[dict]]:
    """(graph inputs, graph outputs, edges between layers), each with its stream's facts.

    Raises:
        UnsupportedLayerError: a tensor with several consumers (fan-out without ReplicateStream).
        InternalError: producer and consumer disagree on an edge's width or beats per frame.
    """
    from qonnx.custom_op.registry import getCustomOp

    graph_outputs = {o.name for o in model.graph.output}
    ins, outs, edges = [], [], []
    for g in model.graph.input:
        for c in _single_consumer(model, g.name, "the graph input"):
            i = list(c.input).index(g.name)
            ins.append(
                {"tensor": g.name, "consumer": c.name, "port": f"in{i}_V", "in_port": f"in{len(ins)}_V"}
            )
            ins[-1].update(_folded(getCustomOp(c), i, output=False))
    for node in model.graph.node:
        inst = getCustomOp(node)
        for j, tensor in enumerate(node.output):
            side = {"tensor": tensor, "producer": node.name, "out": f"out{j}_V", **_folded(inst, j, True)}
            consumers = _single_consumer(model, tensor, f"layer '{node.name}'")
            if tensor in graph_outputs:
                if consumers:
                    _refuse_fanout(node, tensor, ["the graph output", *[c.name for c in consumers]])
                outs.append({**side, "out_port": f"out{len(outs)}_V"})
            elif consumers:
                c = consumers[0]
                i = list(c.input).index(tensor)
                theirs = _folded(getCustomOp(c), i, output=False)
                if (theirs["width"], theirs["frame_beats"]) != (side["width"], side["frame_beats"]):
                    raise InternalError(
                        f"edge '{tensor}' {node.name}.out{j}_V -> {c.name}.in{i}_V: the producer gives "
                        f"{side['frame_beats']} beats of {side['width']} bits per frame, the consumer takes "
                        f"{theirs['frame_beats']} of {theirs['width']}; run stitchable() (InsertDWC) first"
                    )
                edges.append({**side, "consumer": c.name, "in": f"in{i}_V", "index": len(edges)})
    return ins, outs, edges


def _single_consumer(model, tensor: str, what: str) -> list:
    consumers = model.find_consumers(tensor) or []
    if len(consumers) > 1:
        producer = model.find_producer(tensor)
        _refuse_fanout(producer, tensor, [c.name for c in consumers], what)
    return consumers


def _refuse_fanout(node, tensor: str, to: list[str], what: str = "") -> None:
    name, op = (node.name, node.op_type) if node is not None else (tensor, "graph input")
    raise UnsupportedLayerError(
        name,
        op,
        0,
        "the dataflow stitcher",
        ["one consumer per stream; fan-out through ReplicateStream"],
        f"{what or name}: tensor '{tensor}' goes to {', '.join(to)}",
    )


def stitch(model, folder: Path, depths: dict[str, int] | None = None, frames_per_fifo: int = 1) -> dict:
    """Write ``folder/src`` (every RTL file, ``memfiles/``, the top ``hwcd_dataflow.v``) and
    ``folder/design.json`` (streams, FIFOs, layers, finn-plus' estimates) for a graph of RTL
    layers after PrepareIP. ``depths``: FIFO depth per edge (tensor name); default
    ``frames_per_fifo`` whole frames of the edge.

    Raises:
        UnsupportedLayerError: a layer that is not RTL, a stream input the stitcher cannot feed,
            or fan-out without ReplicateStream (each naming the layer).
    """
    from qonnx.custom_op.registry import getCustomOp

    check_all_rtl(model)
    src = folder / "src"
    if folder.exists():
        shutil.rmtree(folder)
    sources = stitch_top.copy_sources(model, src, RTL_DIR)
    ins, outs, edges = _edges(model)
    for e in edges:
        e["depth"] = max(2, int((depths or {}).get(e["tensor"], frames_per_fifo * e["frame_beats"])))
    layers = []
    for node in model.graph.node:
        inst = getCustomOp(node)
        layer = {"name": node.name, "op": node.op_type, "exp_cycles": int(inst.get_exp_cycles())}
        layer.update(stitch_top.layer_ports(node, inst, src))
        layer["feeds"] = _feeds(model, node, inst, layer["ports"], src / "memfiles")
        layers.append(layer)
    (src / f"{TOP}.v").write_text(stitch_top.verilog(TOP, ins, outs, edges, layers))
    design = {
        "top": TOP,
        "sources": [f"src/{n}" for n in sources] + [f"src/{TOP}.v"],
        "memfiles": "src/memfiles",
        "inputs": ins,
        "outputs": outs,
        "fifos": edges,
        "layers": [{k: v for k, v in layer.items() if k in ("name", "op", "exp_cycles")} for layer in layers],
        "estimate": _estimate(model, layers),
    }
    (folder / "design.json").write_text(json.dumps(design, indent=2))
    return design


def check_all_rtl(model) -> None:
    """Every layer is an RTL layer.

    Raises:
        UnsupportedLayerError: naming the first other layer (and the others).
    """
    others = layers_without_rtl(model)
    if others:
        node = next(n for n in model.graph.node if n.name == others[0])
        raise UnsupportedLayerError(
            node.name,
            node.op_type,
            list(model.graph.node).index(node),
            "the dataflow stitcher (RTL layers only)",
            ["finn-plus *_rtl layers"],
            "HLS layers need Vitis HLS to become RTL"
            + (f"; also: {', '.join(others[1:])}" if others[1:] else ""),
        )


def _feeds(model, node, inst, ports: list[str], mem_dir: Path) -> dict[str, dict]:
    """How each ``in<i>_V`` port of a layer that is not a graph stream is fed: a weight ROM or a
    constant tie-off.

    Raises:
        UnsupportedLayerError: a stream port the stitcher does not know how to feed.
    """
    feeds = {}
    for port in ports:
        m = re.fullmatch(r"in(\d+)_V_TDATA", port)
        if not m:
            continue
        i = int(m.group(1))
        tensor = node.input[i] if i < len(node.input) else None
        init = model.get_initializer(tensor) if tensor else None
        if tensor and init is None:
            continue  # an edge or a graph input
        if init is not None and i == 1 and node.op_type.startswith(_WEIGHT_STREAM_OPS):
            feeds[f"in{i}_V"] = {"rom": stitch_top.weight_rom(model, node, inst, mem_dir)}
        elif (node.op_type, i) in _TIED_STREAMS:
            feeds[f"in{i}_V"] = {"tie": _TIED_STREAMS[(node.op_type, i)]}
        else:
            raise UnsupportedLayerError(
                node.name,
                node.op_type,
                list(model.graph.node).index(node),
                "the dataflow stitcher",
                ["graph streams", "MVAU/VVAU weight streams (ROM)", "Thresholding set selection"],
                f"its stream input in{i}_V ({tensor or 'no tensor'}) cannot be fed",
            )
    return feeds


def frames_in_flight(model) -> int:
    """Frames the pipeline holds when it runs at the pace of its slowest layer: finn-plus'
    critical path over that layer's cycles, + 1 (at most ``SIZING_FRAMES``). A FIFO on an edge
    that skips a long path (a residual around attention) must hold that many frames, or the
    skip stalls the layer that feeds both paths."""
    from qonnx.custom_op.registry import getCustomOp

    est = _estimate(
        model,
        [{"name": n.name, "exp_cycles": int(getCustomOp(n).get_exp_cycles())} for n in model.graph.node],
    )
    return max(1, min(SIZING_FRAMES, -(-est["critical_path_cycles"] // max(1, est["max_cycles"])) + 1))


def _estimate(model, layers: list[dict]) -> dict:
    """finn-plus' estimate: the slowest layer's get_exp_cycles (cycles per frame) and the
    critical path (the largest sum of get_exp_cycles along a path, finn-plus' latency estimate)."""
    cycles = {layer["name"]: layer["exp_cycles"] for layer in layers}
    path: dict[str, int] = {}
    for node in model.graph.node:
        before = [path[p.name] for t in node.input if (p := model.find_producer(t)) is not None]
        path[node.name] = cycles[node.name] + max(before, default=0)
    slowest = max(cycles, key=cycles.get)
    return {
        "max_cycles": cycles[slowest],
        "max_cycles_layer": slowest,
        "critical_path_cycles": max(path.values()),
    }


def fifo_depths(fifos: list[dict], occupancy: list[int]) -> dict[str, int]:
    """Depth per edge: the measured maximum occupancy + ``FIFO_MARGIN``, at least 2, at most
    the depth it was measured with (a FIFO that filled up keeps its depth)."""
    return {
        f["tensor"]: min(f["depth"], max(2, int(occ) + FIFO_MARGIN))
        for f, occ in zip(fifos, occupancy, strict=True)
    }


def _stimuli(interval: int) -> dict[str, dict]:
    """The runs of FIFO sizing: back to back (throughput), paced at the design's own frame
    interval (what the FIFOs must hold when frames come at the rate the design sustains), and
    both with random input gaps and output stalls."""
    stall = {"gap_pct": SIZING_STALL_PCT, "stall_pct": SIZING_STALL_PCT}
    return {
        "back_to_back": {},
        "back_to_back_stalls": stall,
        "paced": {"frame_interval": interval},
        "paced_stalls": {"frame_interval": interval, **stall},
    }


def _simulate_all(
    model, folder: Path, frames: list, cache_dir, depths, interval: int, frames_per_fifo: int = 1
) -> tuple[dict, dict]:
    """Stitch with ``depths`` (or ``frames_per_fifo`` frames each), build, and run every sizing
    stimulus; ``interval`` 0: take it from the back-to-back run (the deep design, which must not
    deadlock).

    Raises:
        DeadlockError: the deep design deadlocks (naming the full FIFO's edge).
    """
    from . import design_sim

    design = stitch(model, folder, depths, frames_per_fifo)
    sims = folder.parent / "sim" / folder.name
    exe, build = design_sim.build(folder, sims, cache_dir)
    runs = {"back_to_back": design_sim.run(exe, folder, frames, sims / "back_to_back", check=not interval)}
    runs["back_to_back"].info["build"] = build
    interval = interval or int(np.ceil(design_sim.timing(runs["back_to_back"], 1.0)["interval_cycles"]))
    for name, stim in _stimuli(interval).items():
        if name not in runs:
            runs[name] = design_sim.run(exe, folder, frames, sims / name, check=not depths, **stim)
    return design, runs


def size_fifos(model, folder: Path, frames: list, cache_dir: Path | None = None, attempts: int = 3) -> dict:
    """FIFO depths by simulation (see the module docstring): ``folder/deep`` (one frame per
    FIFO) is run on ``frames`` back to back (its frame interval I), then paced at one frame per
    I cycles, with and without random gaps and stalls; the paced runs' maximum occupancies give
    the depths of ``folder/design``, which must then give the same outputs at the same cycles
    on the paced runs, and the same outputs and interval back to back. FIFOs of the sized design
    that filled up where that changed the outcome go back to their frame depth (``attempts``
    rounds).

    Returns the sizing record: per edge frame depth, measured occupancies, depth; the runs.

    Raises:
        DeadlockError: a deadlock of the deep design (naming the edge).
        InternalError: a sized design that still deadlocks or is slower after ``attempts`` rounds.
        BitExactnessError: the sized design's outputs differ from the deep design's.
    """
    if len(frames) < 4:
        frames = [frames[k % len(frames)] for k in range(4)]
    per_fifo = frames_in_flight(model)
    deep, deep_runs = _simulate_all(model, folder / "deep", frames, cache_dir, None, 0, per_fifo)
    deep_depth = {f["tensor"]: f["depth"] for f in deep["fifos"]}
    interval = deep_runs["paced"].info["frame_interval"]
    paced = [deep_runs[k].fifo_max for k in ("paced", "paced_stalls")]
    depths = fifo_depths(deep["fifos"], list(np.max(paced, axis=0)) if deep["fifos"] else [])
    for _ in range(attempts):
        design, runs = _simulate_all(model, folder / "design", frames, cache_dir, depths, interval)
        grow = _compare_runs(deep_runs, runs)
        if not grow:
            return _sizing_record(deep, design, deep_runs, runs, per_fifo)
        depths.update({edge: deep_depth[edge] for edge in grow})  # back to the deep build's depth
    raise InternalError(
        f"FIFO sizing did not converge in {attempts} rounds; FIFOs that filled: {sorted(grow)}"
    )


def _compare_runs(deep_runs: dict, runs: dict) -> dict[str, int]:
    """FIFOs (edge -> frame depth) to deepen because the sized design deadlocked (the full
    ones), or changed the paced runs' timing or the back-to-back interval (the ones that
    filled); empty when it matches the deep design.

    Raises:
        BitExactnessError: the sized design gives other outputs.
        InternalError: it deadlocked or changed timing with no FIFO to blame.
    """
    from . import design_sim

    grow: dict[str, int] = {}
    for name, deep in deep_runs.items():
        r = runs[name]
        if r.info["deadlock"]:
            blame = r.info["full_depths"]
        else:
            if r.words != deep.words:
                raise BitExactnessError(f"the sized design's outputs differ from the deep design's ({name})")
            same = all(np.array_equal(a, b) for a, b in zip(deep.out_cycles, r.out_cycles, strict=True))
            slower = (
                design_sim.timing(r, 1.0)["interval_cycles"] > design_sim.timing(deep, 1.0)["interval_cycles"]
            )
            changed = (name.startswith("paced") and not same) or (name.startswith("back_to_back") and slower)
            blame = r.info["filled_depths"] if changed else {}
            if not changed:
                continue
        if not blame:
            raise InternalError(
                f"the sized design ({name}): {r.info['stuck'] or 'other timing'}, no FIFO filled"
            )
        grow.update(blame)
    return grow


def _sizing_record(deep: dict, design: dict, deep_runs: dict, runs: dict, per_fifo: int) -> dict:
    rows = []
    for k, (d, f) in enumerate(zip(deep["fifos"], design["fifos"], strict=True)):
        rows.append(
            {
                "edge": d["tensor"],
                "from": f"{d['producer']}.{d['out']}",
                "to": f"{d['consumer']}.{d['in']}",
                "width": d["width"],
                "frame_beats": d["frame_beats"],
                "deep_depth": d["depth"],
                **{f"max_occupancy_{name}": r.fifo_max[k] for name, r in deep_runs.items()},
                "depth": f["depth"],
            }
        )
    n = deep_runs["back_to_back"].n_frames
    return {
        "method": (
            f"deep build ({per_fifo} frames per FIFO: the frames in flight), {n} frames back to back "
            f"(frame interval I = {deep_runs['paced'].info['frame_interval']} cycles), then paced at one "
            f"frame per I cycles, with and without {SIZING_STALL_PCT}% random input gaps and output stalls; "
            f"depth = max paced occupancy + {FIFO_MARGIN} (2 <= depth <= deep depth); sized build checked: "
            "same outputs on every run, same output cycles on the paced runs, same interval back to back"
        ),
        "fifos": rows,
        "runs": {
            "deep": {k: r.summary() for k, r in deep_runs.items()},
            "design": {k: r.summary() for k, r in runs.items()},
        },
    }
