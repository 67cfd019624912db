"""A deployment package for a finn-plus dataflow graph whose layers are all RTL: the layers
chained in one Verilog top (``hwcd_finn_accel``), MVAU weights streamed from ROMs
(``hwcd_rom_stream``), and ``hwcd_axis_frames`` between the DMA bus and the layers' word
streams. Without Vivado this stitched design is what the virtual board simulates; with
Vivado, the same top goes into the block design (finn-plus' own stitched-IP and bitfile
steps are the alternative: see the package README).

Reference outputs of the test vectors come from finn-plus' Python execution of the same
dataflow graph (each layer's Python semantics), then the parent graph's output scale.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..boards import Board
from ..errors import UnsupportedLayerError

__all__ = ["package_finn"]

_RTL = Path(__file__).resolve().parent / "rtl"


def _word_bits(bits: int) -> int:
    return 8 * -(-bits // 8)


def _layer_ports(inst, sources: list[Path]) -> tuple[str, list[str]]:
    from ..backends.finn.axis_sim import input_ports

    top = inst.get_verilog_top_module_name()
    src = next(p for p in sources if f"module {top}" in p.read_text())
    return top, input_ports(src.read_text(), top)


def _parent_scale(parent) -> float:
    """The parent graph must be the dataflow partition followed by at most one scalar Mul."""
    nodes = [n for n in parent.graph.node if n.op_type != "StreamingDataflowPartition"]
    if not nodes:
        return 1.0
    if len(nodes) == 1 and nodes[0].op_type == "Mul":
        scale = parent.get_initializer(nodes[0].input[1])
        if scale is not None and np.asarray(scale).size == 1:
            return float(np.asarray(scale).reshape(()))
    raise UnsupportedLayerError(
        nodes[0].name,
        nodes[0].op_type,
        0,
        "the deployment package (software around the accelerator)",
        ["a scalar output Mul after the dataflow partition"],
        "keep pre/post-processing out of the exported graph",
    )


def package_finn(
    finn_dir: Path, board: Board, clock_mhz: float, out: Path, x_test: np.ndarray, n_vectors: int
) -> dict:
    """Write the package for the finn-plus build in ``finn_dir`` (inside a finn_session)."""
    from qonnx.core.modelwrapper import ModelWrapper

    reference = ModelWrapper(str(finn_dir / "dataflow.onnx"))
    parent = ModelWrapper(str(finn_dir / "parent.onnx"))
    model = _stitchable(ModelWrapper(str(finn_dir / "dataflow.onnx")), board.part, 1000.0 / clock_mhz)
    _check_all_rtl(model)
    ip = out / "ip"
    (ip / "src" / "memfiles").mkdir(parents=True)
    blocks, sim_sources = _layer_blocks(model, ip / "src")
    scale = _parent_scale(parent)
    spec = _stream_spec(blocks, board, clock_mhz, scale)
    w_in, w_out = spec["in"]["word_bits"], spec["out"]["word_bits"]
    in_words, out_words = spec["in"]["fold"][0], spec["out"]["fold"][0]
    shutil.copy(_RTL / "hwcd_axis_frames.v", ip / "hwcd_axis_frames.v")
    shutil.copy(_RTL / "hwcd_rom_stream.v", ip / "hwcd_rom_stream.v")
    (ip / "hwcd_finn_accel.v").write_text(_top(blocks, spec, w_in, w_out, in_words, out_words))
    spec["sim_sources"] = [*sim_sources, "hwcd_axis_frames.v", "hwcd_rom_stream.v", "hwcd_finn_accel.v"]
    _write_test_vectors(reference, parent, x_test[: min(n_vectors, len(x_test))], scale, out)
    return spec


def _check_all_rtl(model) -> None:
    """Every layer of the stitched graph is an RTL layer.

    Raises:
        UnsupportedLayerError: naming the first other layer (and how many more there are).
    """
    not_rtl = [(i, n) for i, n in enumerate(model.graph.node) if not n.op_type.endswith("_rtl")]
    if not_rtl:
        i, node = not_rtl[0]
        others = ", ".join(n.name for _, n in not_rtl[1:])
        raise UnsupportedLayerError(
            node.name,
            node.op_type,
            i,
            "the RTL-only deployment package",
            ["finn-plus *_rtl layers"],
            "HLS layers need Vitis HLS to become RTL"
            + (f"; {len(not_rtl) - 1} more HLS layers: {others}" if others else ""),
        )


def _layer_blocks(model, src_dir: Path) -> tuple[list[dict], list[str]]:
    """Per layer: its top module, ports and weight ROM; the RTL files copied into ``src_dir``
    (each once) and their package paths."""
    from qonnx.custom_op.registry import getCustomOp

    from ..backends.finn.rtlsim import layer_sources

    mem_dir = src_dir / "memfiles"
    copied: dict[str, bytes] = {}
    blocks, sim_sources = [], []
    for node in model.graph.node:
        inst = getCustomOp(node)
        sources = list(layer_sources(inst))
        for p in sources:
            data = p.read_bytes()
            if p.name in copied and copied[p.name] != data:
                raise ValueError(f"two different files named {p.name} in the finn-plus build")
            if p.name not in copied:
                copied[p.name] = data
                (src_dir / p.name).write_bytes(data)
                sim_sources.append(f"src/{p.name}")
        gen = Path(inst.get_nodeattr("code_gen_dir_ipgen"))
        for f in gen.iterdir():
            if f.suffix in (".dat", ".mem") and f.is_file():
                shutil.copy(f, mem_dir / f.name)
        top, ports = _layer_ports(inst, [src_dir / p.name for p in sources])
        weights = None
        if node.op_type.startswith(("MVAU", "VVAU")) and model.get_initializer(node.input[1]) is not None:
            weights = _weight_rom(model, node, inst, mem_dir)
        blocks.append({"name": node.name, "top": top, "ports": ports, "weights": weights, "inst": inst})
    return blocks, sim_sources


def _stream_spec(blocks: list[dict], board: Board, clock_mhz: float, scale: float) -> dict:
    """The accelerator's interface: stream widths, folds, beats on the board's bus."""
    first, last = blocks[0]["inst"], blocks[-1]["inst"]
    bus = board.bus_bits or 32
    w_in, w_out = first.get_instream_width_padded(0), last.get_outstream_width_padded()
    if bus % w_in or bus % w_out:
        raise ValueError(f"bus {bus} bits is not a multiple of the stream widths {w_in} / {w_out}")
    in_fold, out_fold = first.get_folded_input_shape(0), last.get_folded_output_shape()
    in_words, out_words = int(np.prod(in_fold[:-1])), int(np.prod(out_fold[:-1]))
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
        "in": {
            "dtype": first.get_input_datatype(0).name,
            "fold": [in_words, int(in_fold[-1])],
            "word_bits": w_in,
            "scale": 1.0,
        },
        "out": {
            "dtype": last.get_output_datatype().name,
            "fold": [out_words, int(out_fold[-1])],
            "word_bits": w_out,
            "scale": scale,
        },
        "n_in": in_words * int(in_fold[-1]),
        "n_out": out_words * int(out_fold[-1]),
        "in_beats": in_beats,
        "out_beats": out_beats,
        "in_bytes": in_beats * bus // 8,
        "out_bytes": out_beats * bus // 8,
        "latency_cycles": None,
        "verilator_args": ["+define+FINN_SIMULATION"],
    }


def _write_test_vectors(reference, parent, x: np.ndarray, scale: float, out: Path) -> None:
    """The accelerator's input (what enters the partition) and finn-plus' Python semantics of it."""
    from ..backends.finn.rtlsim import dataflow_inputs, run_graph

    frames = dataflow_inputs(parent, x)
    oname = reference.graph.output[0].name
    ref = np.stack([np.asarray(run_graph(reference, f)[oname]).reshape(-1) for f in frames]) * scale
    np.save(out / "test_inputs.npy", np.stack([np.asarray(f).reshape(-1) for f in frames]))
    np.save(out / "test_outputs.npy", ref)


def _stitchable(model, part: str, clock_ns: float):
    """The graph as finn-plus stitches it: data-width converters between layers whose stream
    widths differ (InsertDWC), specialised to RTL, with their HDL generated (PrepareIP)."""
    from finn.transformation.fpgadataflow.insert_dwc import InsertDWC
    from finn.transformation.fpgadataflow.prepare_ip import PrepareIP
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers
    from qonnx.custom_op.registry import getCustomOp
    from qonnx.transformation.general import GiveUniqueNodeNames

    model = model.transform(InsertDWC())
    for node in model.graph.node:
        if node.op_type == "StreamingDataWidthConverter":
            getCustomOp(node).set_nodeattr("preferred_impl_style", "rtl")
    model = model.transform(SpecializeLayers(part)).transform(GiveUniqueNodeNames())
    return model.transform(PrepareIP(part, clock_ns))


def _weight_rom(model, node, inst, mem_dir: Path) -> dict:
    """The weight stream of a decoupled MVAU as one hex word per line, in stream order."""
    from finn.util.data_packing import npy_to_rtlsim_input

    npy = mem_dir / f"{node.name}_weights.npy"
    inst.make_weight_file(model.get_initializer(node.input[1]), "decoupled_npy", str(npy))
    width = inst.get_instream_width_padded(1)
    words = npy_to_rtlsim_input(str(npy), inst.get_input_datatype(1), width)
    npy.unlink()
    digits = -(-width // 4)
    path = mem_dir / f"{node.name}_weights.mem"
    path.write_text("".join(f"{int(w) & ((1 << width) - 1):0{digits}x}\n" for w in words))
    return {"file": path.name, "width": width, "depth": len(words)}


def _top(blocks: list[dict], spec: dict, w_in: int, w_out: int, in_words: int, out_words: int) -> str:
    bus = spec["bus_bits"]
    lines = [
        "// hwcodesign: finn-plus RTL layers chained behind AXI4-Stream (written by the package step)",
        "`timescale 1ns / 1ps",
        "module hwcd_finn_accel (",
        "    input  wire aclk, input wire aresetn,",
        f"    input  wire [{bus - 1}:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready, input wire s_axis_tlast,",
        f"    output wire [{bus - 1}:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready, output wire m_axis_tlast",
        ");",
    ]
    widths = [b["inst"].get_instream_width_padded(0) for b in blocks] + [w_out]
    for k, w in enumerate(widths):
        lines.append(f"    wire [{w - 1}:0] s{k}_tdata; wire s{k}_tvalid; wire s{k}_tready;")
    lines.append(
        f"    hwcd_axis_frames #(.BUS({bus}), .W_IN({w_in}), .IN_WORDS({in_words}), .W_OUT({w_out}), .OUT_WORDS({out_words})) frames (\n"
        "        .aclk(aclk), .aresetn(aresetn),\n"
        "        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),\n"
        "        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast),\n"
        f"        .l_in_tdata(s0_tdata), .l_in_tvalid(s0_tvalid), .l_in_tready(s0_tready),\n"
        f"        .l_out_tdata(s{len(blocks)}_tdata), .l_out_tvalid(s{len(blocks)}_tvalid), .l_out_tready(s{len(blocks)}_tready)\n"
        "    );"
    )
    for k, b in enumerate(blocks):
        conns = [".ap_clk(aclk)", ".ap_rst_n(aresetn)"]
        if "ap_clk2x" in b["ports"]:
            conns.append(".ap_clk2x(aclk)")
        conns += [f".in0_V_TDATA(s{k}_tdata)", f".in0_V_TVALID(s{k}_tvalid)", f".in0_V_TREADY(s{k}_tready)"]
        conns += [
            f".out0_V_TDATA(s{k + 1}_tdata)",
            f".out0_V_TVALID(s{k + 1}_tvalid)",
            f".out0_V_TREADY(s{k + 1}_tready)",
        ]
        if b["weights"]:
            w = b["weights"]
            lines.append(f"    wire [{w['width'] - 1}:0] w{k}_tdata; wire w{k}_tvalid; wire w{k}_tready;")
            lines.append(
                f'    hwcd_rom_stream #(.WIDTH({w["width"]}), .DEPTH({w["depth"]}), .INIT_FILE("{w["file"]}")) rom{k} '
                f"(.clk(aclk), .rst_n(aresetn), .m_tdata(w{k}_tdata), .m_tvalid(w{k}_tvalid), .m_tready(w{k}_tready));"
            )
            conns += [
                f".in1_V_TDATA(w{k}_tdata)",
                f".in1_V_TVALID(w{k}_tvalid)",
                f".in1_V_TREADY(w{k}_tready)",
            ]
        driven = {"ap_clk", "ap_clk2x", "ap_rst_n", "in0_V_TDATA", "in0_V_TVALID", "out0_V_TREADY"}
        if b["weights"]:
            driven |= {"in1_V_TDATA", "in1_V_TVALID"}
        conns += [f".{p}(0)" for p in b["ports"] if p not in driven]
        lines.append(f"    {b['top']} {b['name']} (\n        " + ",\n        ".join(conns) + "\n    );")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"
