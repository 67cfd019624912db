"""The files of a stitched finn-plus design (``stitch.stitch`` decides what is wired to what;
this module writes it): the layers' RTL and memory files, MVAU weight ROM contents, and the
top's Verilog text (the layers, one ``hwcd_stream_fifo`` per edge, weight ROMs, tie-offs, and
the FIFO gauge readout under ``HWCD_FIFO_GAUGES``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ...errors import InternalError, UnsupportedLayerError

__all__ = ["copy_sources", "weight_rom", "layer_ports", "verilog"]


def copy_sources(model, src: Path, rtl_dir: Path) -> list[str]:
    """Every layer's RTL files (each once), memory files (``src/memfiles``) and the stitcher's own
    modules from ``rtl_dir`` into ``src``; the file names in compile order (SV packages first).

    Raises:
        InternalError: two different files of the same name.
    """
    from qonnx.custom_op.registry import getCustomOp

    from .rtlsim import layer_sources

    (src / "memfiles").mkdir(parents=True, exist_ok=True)
    copied: dict[str, bytes] = {}
    for node in model.graph.node:
        inst = getCustomOp(node)
        for p in layer_sources(inst):
            data = p.read_bytes()
            if copied.setdefault(p.name, data) != data:
                raise InternalError(f"two different RTL files named {p.name} (layer {node.name})")
            (src / p.name).write_bytes(data)
        gen = Path(inst.get_nodeattr("code_gen_dir_ipgen"))
        for f in sorted(gen.iterdir()):
            if f.suffix in (".dat", ".mem") and f.is_file() and f.name != "memblock.dat":
                shutil.copy(f, src / "memfiles" / f.name)
    for name in ("hwcd_stream_fifo.v", "hwcd_rom_stream.v"):
        shutil.copy(rtl_dir / name, src / name)
        copied[name] = b""
    return sorted(copied, key=lambda n: (not n.endswith("_pkg.sv"), list(copied).index(n)))


def weight_rom(model, node, inst, mem_dir: Path) -> dict:
    """The weight stream of a decoupled MVAU/VVAU as one hex word per line, in stream order."""
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


def layer_ports(node, inst, src: Path) -> dict:
    """The layer's top module (in the copied sources in ``src``) and the names of its input ports."""
    from .axis_sim import input_ports
    from .rtlsim import layer_sources

    top = inst.get_verilog_top_module_name()
    for p in layer_sources(inst):
        text = (src / p.name).read_text()
        if re.search(rf"\bmodule\s+{re.escape(top)}\b", text):
            return {"top": top, "ports": input_ports(text, top)}
    raise UnsupportedLayerError(
        node.name,
        node.op_type,
        0,
        "the dataflow stitcher",
        ["layers whose RTL defines their top module"],
        f"no RTL file of the layer defines module {top}",
    )


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _header(top: str, ins: list[dict], outs: list[dict]) -> list[str]:
    ports = [("input  wire ap_clk", ""), ("input  wire ap_rst_n", "")]
    for s in ins:
        p, w = s["in_port"], s["width"]
        ports.append(
            (
                f"input  wire [{w - 1}:0] {p}_TDATA, input wire {p}_TVALID, output wire {p}_TREADY",
                f"'{s['tensor']}' -> {s['consumer']}.{s['port']}, {s['frame_beats']} beats/frame",
            )
        )
    for s in outs:
        p, w = s["out_port"], s["width"]
        ports.append(
            (
                f"output wire [{w - 1}:0] {p}_TDATA, output wire {p}_TVALID, input wire {p}_TREADY",
                f"'{s['tensor']}' <- {s['producer']}.{s['out']}, {s['frame_beats']} beats/frame",
            )
        )
    body = [
        f"    {decl}{',' if k < len(ports) - 1 else ''}" + (f"  // {note}" if note else "")
        for k, (decl, note) in enumerate(ports)
    ]
    return [
        "// hwcodesign: a finn-plus dataflow graph of RTL layers (hwcodesign.backends.finn.stitch).",
        "// Every edge between two layers goes through an hwcd_stream_fifo; MVAU weights stream from ROMs.",
        "`timescale 1ns / 1ps",
        f"module {top} (",
        *body,
        "`ifdef HWCD_FIFO_GAUGES",
        "    , input wire [15:0] gauge_sel, output reg [31:0] gauge_count, output reg [31:0] gauge_max",
        "`endif",
        ");",
    ]


def _fifo_lines(edges: list[dict]) -> list[str]:
    lines = []
    for e in edges:
        k, w = e["index"], e["width"]
        lines += [
            f"    // e{k}: '{e['tensor']}' {e['producer']}.{e['out']} -> {e['consumer']}.{e['in']}, "
            f"{w} bits, {e['frame_beats']} beats/frame",
            f"    wire [{w - 1}:0] e{k}_p_tdata, e{k}_c_tdata;",
            f"    wire e{k}_p_tvalid, e{k}_p_tready, e{k}_c_tvalid, e{k}_c_tready;",
            f"    wire [31:0] e{k}_count, e{k}_max;",
            f"    hwcd_stream_fifo #(.WIDTH({w}), .DEPTH({e['depth']})) fifo_e{k} (",
            "        .clk(ap_clk), .rst_n(ap_rst_n),",
            f"        .s_tdata(e{k}_p_tdata), .s_tvalid(e{k}_p_tvalid), .s_tready(e{k}_p_tready),",
            f"        .m_tdata(e{k}_c_tdata), .m_tvalid(e{k}_c_tvalid), .m_tready(e{k}_c_tready),",
            f"        .count(e{k}_count), .max_count(e{k}_max)",
            "    );",
        ]
    lines.append("`ifdef HWCD_FIFO_GAUGES")
    lines.append("    always @(*) begin")
    lines.append("        gauge_count = 32'd0; gauge_max = 32'd0;")
    if edges:
        lines.append("        case (gauge_sel)")
        lines += [
            f"            16'd{e['index']}: begin gauge_count = e{e['index']}_count; "
            f"gauge_max = e{e['index']}_max; end"
            for e in edges
        ]
        lines.append("            default: ;")
        lines.append("        endcase")
    lines += ["    end", "`endif"]
    return lines


def _stream(port: str, wires: str) -> list[str]:
    """A layer's stream ``port`` bound to ``<wires>_tdata/_tvalid/_tready``, or to the top's own
    port of that name when ``wires`` is one (``in<i>_V`` / ``out<j>_V``)."""
    top_port = re.fullmatch(r"(in|out)\d+_V", wires) is not None
    return [f".{port}_{s}({wires}_{s if top_port else s.lower()})" for s in ("TDATA", "TVALID", "TREADY")]


def _layer_lines(layer: dict, ins: list[dict], outs: list[dict], edges: list[dict]) -> list[str]:
    """The instance of one layer (and its weight ROMs), every port bound."""
    name, ports = layer["name"], set(layer["ports"])
    conns, lines, bound = [".ap_clk(ap_clk)", ".ap_rst_n(ap_rst_n)"], [], {"ap_clk", "ap_rst_n"}
    if "ap_clk2x" in ports:
        conns.append(".ap_clk2x(ap_clk)")
        bound.add("ap_clk2x")
    streams_in = {e["in"]: f"e{e['index']}_c" for e in edges if e["consumer"] == name}
    streams_in |= {s["port"]: s["in_port"] for s in ins if s["consumer"] == name}
    streams_out = {e["out"]: f"e{e['index']}_p" for e in edges if e["producer"] == name}
    streams_out |= {s["out"]: s["out_port"] for s in outs if s["producer"] == name}
    for port, prefix in streams_in.items():
        if f"{port}_TDATA" not in ports:
            raise UnsupportedLayerError(
                name,
                layer["op"],
                0,
                "the dataflow stitcher",
                [f"a port {port}"],
                f"{port} is not a port of {layer['top']}",
            )
        conns += _stream(port, prefix)
        bound |= {f"{port}_TDATA", f"{port}_TVALID"}
    for port, feed in layer["feeds"].items():
        bound |= {f"{port}_TDATA", f"{port}_TVALID"}
        if "tie" in feed:
            conns += [f".{port}_TDATA(0)", f".{port}_TVALID(1'b0)", f".{port}_TREADY()"]
            continue
        rom, w = feed["rom"], f"w_{_ident(name)}_{port[:-2]}"
        lines += [
            f"    wire [{rom['width'] - 1}:0] {w}_tdata; wire {w}_tvalid, {w}_tready;",
            f"    hwcd_rom_stream #(.WIDTH({rom['width']}), .DEPTH({rom['depth']}), "
            f'.INIT_FILE("{rom["file"]}")) '
            f"rom_{_ident(name)}_{port} (.clk(ap_clk), .rst_n(ap_rst_n), .m_tdata({w}_tdata), "
            f".m_tvalid({w}_tvalid), .m_tready({w}_tready));",
        ]
        conns += _stream(port, w)
    for m in sorted(p for p in ports if re.fullmatch(r"out\d+_V_TREADY", p)):
        port = m.removesuffix("_TREADY")
        bound.add(m)
        if port in streams_out:
            conns += _stream(port, streams_out[port])
        else:  # an output nothing reads: drained
            conns += [f".{port}_TDATA()", f".{port}_TVALID()", f".{port}_TREADY(1'b1)"]
    conns += [f".{p}(0)" for p in layer["ports"] if p not in bound]
    lines.append(f"    {layer['top']} {_ident(name)} (\n        " + ",\n        ".join(conns) + "\n    );")
    return lines


def verilog(top: str, ins: list[dict], outs: list[dict], edges: list[dict], layers: list[dict]) -> str:
    """The top module: graph streams as ports, the FIFOs, the layers."""
    lines = _header(top, ins, outs) + _fifo_lines(edges)
    for layer in layers:
        lines += _layer_lines(layer, ins, outs, edges)
    lines.append("endmodule")
    return "\n".join(lines) + "\n"
