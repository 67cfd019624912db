"""Verilator simulation of one AXI-stream RTL block (as finn-plus generates them).

The block has ``ap_clk``, ``ap_rst_n``, input streams ``in<i>_V_{TDATA,TVALID,TREADY}`` and
one output stream ``out0_V_*``. Every other input port (AXI-lite configuration, a second
clock) is tied to 0. The testbench (``sim/finn_axis_tb.cpp.in``) is filled in per block,
streams the given words in, keeps the output always ready, and records every output word
and the cycle it arrived in, so cycles per frame are measured, not estimated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...tools import verilator
from ...tools.process import run_logged

__all__ = ["AxisBlock", "input_ports", "build_axis_sim", "run_axis_sim", "words_to_chunks", "chunks_to_words"]

SIM_DIR = Path(__file__).resolve().parents[2] / "sim"
TEMPLATE = SIM_DIR / "finn_axis_tb.cpp.in"


@dataclass(frozen=True)
class AxisBlock:
    """One RTL block: its top module, sources, and stream widths (bits, as padded by FINN)."""

    top: str
    sources: tuple[Path, ...]
    in_widths: tuple[int, ...]
    out_width: int


def input_ports(verilog: str, top: str) -> list[str]:
    """Names of the input ports of module ``top`` (ANSI-style header)."""
    m = re.search(rf"\bmodule\s+{re.escape(top)}\b(.*?)\)\s*;", verilog, re.S)
    if not m:
        raise ValueError(f"module {top} not found")
    header = re.sub(r"//[^\n]*|/\*.*?\*/|\(\*.*?\*\)", "", m.group(1), flags=re.S)
    return re.findall(r"\binput\s+(?:wire\s+|logic\s+)?(?:\[[^\]]*\]\s*)?(\w+)", header)


def _chunks(width: int) -> int:
    return (width + 31) // 32


def _testbench(block: AxisBlock, tie_offs: Sequence[str], has_clk2x: bool) -> str:
    n = len(block.in_widths)
    clk_low = "dut->ap_clk = 0;" + (" dut->ap_clk2x = 0;" if has_clk2x else "")
    clk_high = "dut->ap_clk = 1;" + (" dut->ap_clk2x = 1;" if has_clk2x else "")
    set_in, fire, adv = [], [], []
    for i in range(n):
        c = _chunks(block.in_widths[i])
        set_in.append(
            f"        const bool have{i} = pos[{i}] + {c} <= in[{i}].size();\n"
            f"        if (have{i}) put_word(dut->in{i}_V_TDATA, &in[{i}][pos[{i}]]);\n"
            f"        dut->in{i}_V_TVALID = have{i};"
        )
        fire.append(f"        const bool fire{i} = have{i} && dut->in{i}_V_TREADY;")
        adv.append(f"        if (fire{i}) pos[{i}] += {c};")
    return (
        TEMPLATE.read_text()
        .replace("@TOP@", block.top)
        .replace("@N_IN@", str(n))
        .replace("@IN_CHUNKS@", ", ".join(str(_chunks(w)) for w in block.in_widths))
        .replace("@OUT_CHUNKS@", str(_chunks(block.out_width)))
        .replace("@TIE_OFFS@", "\n".join(f"    dut->{p} = 0;" for p in tie_offs))
        .replace("@CLK_LOW@", clk_low)
        .replace("@CLK_HIGH@", clk_high)
        .replace("@SET_INPUTS@", "\n".join(set_in))
        .replace("@FIRE_INPUTS@", "\n".join(fire))
        .replace("@ADVANCE@", "\n".join(adv))
    )


def build_axis_sim(
    block: AxisBlock,
    workdir: Path,
    cache_dir: Path | None = None,
    options: verilator.BuildOptions | None = None,
) -> tuple[Path, dict]:
    """Generate the testbench for ``block`` and build (or reuse) its simulator."""
    top_src = next((p for p in block.sources if re.search(rf"\bmodule\s+{block.top}\b", p.read_text())), None)
    if top_src is None:
        raise ValueError(f"no source defines module {block.top}")
    ports = input_ports(top_src.read_text(), block.top)
    workdir.mkdir(parents=True, exist_ok=True)
    tb = workdir / f"{block.top}_tb.cpp"
    driven = {"ap_clk", "ap_clk2x", "ap_rst_n", "out0_V_TREADY"}
    driven |= {f"in{i}_V_{s}" for i in range(len(block.in_widths)) for s in ("TDATA", "TVALID")}
    tb.write_text(_testbench(block, [p for p in ports if p not in driven], "ap_clk2x" in ports))
    return verilator.build_cached(
        block.top,
        block.sources,
        tb,
        workdir,
        (SIM_DIR,),
        options,
        cache_dir,
        extra_args=["+define+FINN_SIMULATION"],
    )


def words_to_chunks(words: Sequence[int], width: int) -> np.ndarray:
    """Stream words (Python ints) -> little-endian 32-bit chunks."""
    c = _chunks(width)
    out = np.zeros((len(words), c), np.uint32)
    for i, w in enumerate(words):
        for j in range(c):
            out[i, j] = (int(w) >> (32 * j)) & 0xFFFFFFFF
    return out.reshape(-1)


def chunks_to_words(chunks: np.ndarray, width: int) -> list[int]:
    c = _chunks(width)
    rows = chunks.reshape(-1, c)
    return [sum(int(v) << (32 * j) for j, v in enumerate(row)) for row in rows]


def run_axis_sim(
    exe: Path,
    block: AxisBlock,
    inputs: Sequence[Sequence[int]],
    n_out_words: int,
    workdir: Path,
    cwd: Path | None = None,
    max_cycles: int = 10_000_000,
) -> tuple[list[int], dict]:
    """Stream ``inputs`` (one word list per input stream) and collect ``n_out_words``.

    ``cwd`` is where the block's memory-initialisation files are found.
    Returns (output words, stats) with stats holding "cycles", "first_out_cycle",
    "last_out_cycle", "timed_out" and "out_cycles" (the cycle each output word arrived in).
    """
    files = []
    for i, (words, width) in enumerate(zip(inputs, block.in_widths, strict=True)):
        f = workdir / f"in{i}.bin"
        words_to_chunks(words, width).tofile(f)
        files.append(f.resolve())
    out = workdir / "out.bin"
    res = run_logged(
        "verilator-sim",
        [exe.resolve(), out.resolve(), n_out_words, max_cycles, *files],
        cwd or workdir,
        workdir / "sim.log",
        check=False,
    )
    stats = json.loads(res.log().strip().splitlines()[-1])
    words = chunks_to_words(np.fromfile(out, dtype=np.uint32), block.out_width)
    stats["out_cycles"] = np.fromfile(f"{out}.cycles", dtype=np.uint64).astype(np.int64)
    return words, stats
