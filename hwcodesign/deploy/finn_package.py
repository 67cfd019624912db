"""A deployment package for a finn-plus dataflow graph whose layers are all RTL: the graph
stitched as a DAG with FIFOs sized by simulation (``backends/finn/stitch.py``: the same
stitcher, stimuli and depths as the ``stitch`` step), behind ``hwcd_axis_frames`` between the
DMA bus and the design's word streams (top ``hwcd_finn_accel``). Without Vivado this is what
the virtual board simulates; with Vivado, the same top goes into the block design (finn-plus'
own stitched-IP and bitfile steps are the alternative: see the package README).

Reference outputs of the test vectors come from finn-plus' Python execution of the same
dataflow graph (each layer's Python semantics), then the parent graph's output scale.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..backends.finn.stitch import (
    SIZING_FRAMES,
    TOP,
    check_all_rtl,
    parent_output_scale,
    size_fifos,
    stitchable,
)
from ..boards import Board
from ..errors import UnsupportedLayerError

__all__ = ["package_finn"]

_RTL = Path(__file__).resolve().parent / "rtl"


def package_finn(
    finn_dir: Path,
    board: Board,
    clock_mhz: float,
    out: Path,
    x_test: np.ndarray,
    n_vectors: int,
    cache_dir: Path | None = None,
    expected: np.ndarray | None = None,
) -> dict:
    """Write the package for the finn-plus build in ``finn_dir`` (inside a finn_session);
    ``cache_dir``: Verilator build cache of the FIFO-sizing simulations; ``expected``: the
    trained model's outputs on ``x_test`` (the package's expected outputs; default: finn-plus'
    Python execution of the graph).

    Raises:
        UnsupportedLayerError: a layer without RTL, a stream the stitcher cannot feed, several
            graph inputs or outputs, or post-processing after the partition other than a scale.
    """
    from qonnx.core.modelwrapper import ModelWrapper

    from ..backends.finn.ops import register_ops
    from ..backends.finn.rtlsim import dataflow_inputs

    register_ops()  # hwcodesign's RTL layers (IntAdd_rtl, ...) into finn-plus' domains
    reference = ModelWrapper(str(finn_dir / "dataflow.onnx"))
    parent = ModelWrapper(str(finn_dir / "parent.onnx"))
    check_all_rtl(reference)
    scale = parent_output_scale(parent)
    model = stitchable(ModelWrapper(str(finn_dir / "dataflow.onnx")), board.part, 1000.0 / clock_mhz)
    work = out / "build" / "stitch"
    sizing = size_fifos(model, work, dataflow_inputs(parent, x_test[:SIZING_FRAMES]), cache_dir)
    design = json.loads((work / "design" / "design.json").read_text())
    _one_stream_each_way(design, model)
    ip = out / "ip"
    shutil.copytree(work / "design" / "src", ip / "src")
    (ip / "stitch.json").write_text(json.dumps({"design": design, "fifo_sizing": sizing["fifos"]}, indent=2))
    spec = _stream_spec(design, board, clock_mhz, scale)
    spec["latency_cycles"] = None  # measured by the stitch step and the virtual board
    shutil.copy(_RTL / "hwcd_axis_frames.v", ip / "hwcd_axis_frames.v")
    (ip / "hwcd_finn_accel.v").write_text(_top(design, spec))
    spec["sim_sources"] = [*design["sources"], "hwcd_axis_frames.v", "hwcd_finn_accel.v"]
    n = min(n_vectors, len(x_test))
    _write_test_vectors(reference, parent, x_test[:n], scale, out, None if expected is None else expected[:n])
    return spec


def _one_stream_each_way(design: dict, model) -> None:
    if len(design["inputs"]) != 1 or len(design["outputs"]) != 1:
        node = model.graph.node[0]
        raise UnsupportedLayerError(
            node.name,
            node.op_type,
            0,
            "the deployment package (one DMA stream each way)",
            ["graphs with one input and one output"],
            f"this graph has {len(design['inputs'])} inputs and {len(design['outputs'])} outputs",
        )


def _stream_spec(design: dict, board: Board, clock_mhz: float, scale: float) -> dict:
    """The accelerator's interface: stream widths, folds, beats on the board's bus."""
    first, last = design["inputs"][0], design["outputs"][0]
    bus = board.bus_bits or 32
    w_in, w_out = first["width"], last["width"]
    if bus % w_in or bus % w_out:
        raise ValueError(f"bus {bus} bits is not a multiple of the stream widths {w_in} / {w_out}")
    in_words, out_words = first["frame_beats"], last["frame_beats"]
    in_per, out_per = first["folded_shape"][-1], last["folded_shape"][-1]
    in_beats, out_beats = -(-in_words // (bus // w_in)), -(-out_words // (bus // w_out))
    return {
        "kind": "finn",
        "top": "hwcd_finn_accel",
        "board": board.name,
        "part": board.part,
        "shell": board.shell,
        "clock_mhz": clock_mhz,
        "bus_bits": bus,
        "dma": "axi_dma_0",
        "in": {"dtype": first["dtype"], "fold": [in_words, in_per], "word_bits": w_in, "scale": 1.0},
        "out": {"dtype": last["dtype"], "fold": [out_words, out_per], "word_bits": w_out, "scale": scale},
        "n_in": in_words * in_per,
        "n_out": out_words * out_per,
        "in_beats": in_beats,
        "out_beats": out_beats,
        "in_bytes": in_beats * bus // 8,
        "out_bytes": out_beats * bus // 8,
        "verilator_args": ["+define+FINN_SIMULATION"],
    }


def _write_test_vectors(
    reference, parent, x: np.ndarray, scale: float, out: Path, expected: np.ndarray | None
) -> None:
    """The accelerator's input (what enters the partition) and the outputs it must give: the
    trained model's (``expected``) or else finn-plus' Python semantics of the graph."""
    from ..backends.finn.rtlsim import dataflow_inputs, run_graph

    frames = dataflow_inputs(parent, x)
    if expected is not None:
        ref = np.asarray(expected, dtype=np.float64).reshape(len(frames), -1)
    else:
        oname = reference.graph.output[0].name
        ref = np.stack([np.asarray(run_graph(reference, f)[oname]).reshape(-1) for f in frames]) * scale
    np.save(out / "test_inputs.npy", np.stack([np.asarray(f).reshape(-1) for f in frames]))
    np.save(out / "test_outputs.npy", ref)


def _top(design: dict, spec: dict) -> str:
    """``hwcd_finn_accel``: the DMA bus, hwcd_axis_frames, the stitched design."""
    bus, i, o = spec["bus_bits"], design["inputs"][0], design["outputs"][0]
    w_in, w_out = i["width"], o["width"]
    return "\n".join(
        [
            "// hwcodesign: the stitched finn-plus design behind AXI4-Stream (written by the package step)",
            "`timescale 1ns / 1ps",
            "module hwcd_finn_accel (",
            "    input  wire aclk, input wire aresetn,",
            f"    input  wire [{bus - 1}:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,"
            " input wire s_axis_tlast,",
            f"    output wire [{bus - 1}:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready,"
            " output wire m_axis_tlast",
            ");",
            f"    wire [{w_in - 1}:0] l_in_tdata; wire l_in_tvalid, l_in_tready;",
            f"    wire [{w_out - 1}:0] l_out_tdata; wire l_out_tvalid, l_out_tready;",
            f"    hwcd_axis_frames #(.BUS({bus}), .W_IN({w_in}), .IN_WORDS({i['frame_beats']}), "
            f".W_OUT({w_out}), .OUT_WORDS({o['frame_beats']})) frames (",
            "        .aclk(aclk), .aresetn(aresetn),",
            "        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),"
            " .s_axis_tlast(s_axis_tlast),",
            "        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),"
            " .m_axis_tlast(m_axis_tlast),",
            "        .l_in_tdata(l_in_tdata), .l_in_tvalid(l_in_tvalid), .l_in_tready(l_in_tready),",
            "        .l_out_tdata(l_out_tdata), .l_out_tvalid(l_out_tvalid), .l_out_tready(l_out_tready)",
            "    );",
            f"    {TOP} dataflow (",
            "        .ap_clk(aclk), .ap_rst_n(aresetn),",
            f"        .{i['in_port']}_TDATA(l_in_tdata), .{i['in_port']}_TVALID(l_in_tvalid), "
            f".{i['in_port']}_TREADY(l_in_tready),",
            f"        .{o['out_port']}_TDATA(l_out_tdata), .{o['out_port']}_TVALID(l_out_tvalid), "
            f".{o['out_port']}_TREADY(l_out_tready)",
            "    );",
            "endmodule",
            "",
        ]
    )
