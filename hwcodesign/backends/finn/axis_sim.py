"""Verilator simulation of one AXI-stream RTL block (as finn-plus generates them).

The block has ``ap_clk``, ``ap_rst_n``, input streams ``in<i>_V_{TDATA,TVALID,TREADY}`` and
output streams ``out<j>_V_*`` (one or several: a split, a replicate). Every other input port
(AXI-lite configuration, a second clock) is tied to 0. The testbench
(``sim/finn_axis_tb.cpp.in``) is filled in per block, streams the given words in as fast as
the block takes them, drives each output's TREADY on its own (always high, or high on a given
percentage of the cycles, drawn independently per output), and records every output word and
the cycle it arrived in, so cycles per frame are measured, not estimated.
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

__all__ = [
    "AxisBlock",
    "input_ports",
    "build_axis_sim",
    "run_axis_sim",
    "run_axis_sim_multi",
    "words_to_chunks",
    "chunks_to_words",
]

SIM_DIR = Path(__file__).resolve().parents[2] / "sim"
TEMPLATE = SIM_DIR / "finn_axis_tb.cpp.in"


@dataclass(frozen=True)
class AxisBlock:
    """One RTL block: its top module, sources, and stream widths (bits, as padded by FINN):
    ``out_width`` is output 0's, ``more_out_widths`` those of outputs 1, 2, ... if any."""

    top: str
    sources: tuple[Path, ...]
    in_widths: tuple[int, ...]
    out_width: int
    more_out_widths: tuple[int, ...] = ()

    @property
    def out_widths(self) -> tuple[int, ...]:
        return (self.out_width, *self.more_out_widths)


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
    ready, take = [], []
    for j in range(len(block.out_widths)):
        ready.append(f"        dut->out{j}_V_TREADY = out[{j}].ready;")
        take.append(
            f"        if (dut->out{j}_V_TVALID && out[{j}].ready) {{\n"
            f"            out[{j}].take(dut->out{j}_V_TDATA, cycle);\n"
            "            if (cycle < first_out) first_out = cycle;\n"
            "            last_out = cycle;\n"
            "        }"
        )
    return (
        TEMPLATE.read_text()
        .replace("@TOP@", block.top)
        .replace("@N_IN@", str(n))
        .replace("@N_OUT@", str(len(block.out_widths)))
        .replace("@OUT_CHUNKS@", ", ".join(str(_chunks(w)) for w in block.out_widths))
        .replace("@TIE_OFFS@", "\n".join(f"    dut->{p} = 0;" for p in tie_offs))
        .replace("@CLK_LOW@", clk_low)
        .replace("@CLK_HIGH@", clk_high)
        .replace("@SET_INPUTS@", "\n".join(set_in))
        .replace("@SET_READY@", "\n".join(ready))
        .replace("@FIRE_INPUTS@", "\n".join(fire))
        .replace("@TAKE_OUTPUTS@", "\n".join(take))
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
    driven = {"ap_clk", "ap_clk2x", "ap_rst_n"} | {f"out{j}_V_TREADY" for j in range(len(block.out_widths))}
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
    """Stream ``inputs`` (one word list per input stream) and collect ``n_out_words`` from a
    block with one output, always ready.

    ``cwd`` is where the block's memory-initialisation files are found.
    Returns (output words, stats) with stats holding "cycles", "first_out_cycle",
    "last_out_cycle", "timed_out" and "out_cycles" (the cycle each output word arrived in).
    """
    words, stats = run_axis_sim_multi(exe, block, inputs, [n_out_words], workdir, cwd, max_cycles)
    first = {k: stats[k][0] for k in ("out_cycles", "out_words", "extra_words")}
    return words[0], {**stats, **first}


def run_axis_sim_multi(
    exe: Path,
    block: AxisBlock,
    inputs: Sequence[Sequence[int]],
    n_out_words: Sequence[int],
    workdir: Path,
    cwd: Path | None = None,
    max_cycles: int = 10_000_000,
    ready_percent: int = 100,
    seed: int = 1,
) -> tuple[list[list[int]], dict]:
    """Stream ``inputs`` (one word list per input stream) and collect ``n_out_words[j]`` words
    from each output ``j``; each output is ready on ``ready_percent`` % of the cycles, drawn
    independently per output (100: always ready, for cycle counts).

    ``cwd`` is where the block's memory-initialisation files are found.
    Returns (words per output, stats) with stats holding "cycles", "first_out_cycle",
    "last_out_cycle", "timed_out", "extra_words" (per output, words beyond ``n_out_words``)
    and "out_cycles" (per output, the cycle each word arrived in).
    """
    files = []
    for i, (words, width) in enumerate(zip(inputs, block.in_widths, strict=True)):
        f = workdir / f"in{i}.bin"
        words_to_chunks(words, width).tofile(f)
        files.append(f.resolve())
    if len(n_out_words) != len(block.out_widths):
        raise ValueError(
            f"{block.top}: {len(block.out_widths)} outputs, {len(n_out_words)} word counts given"
        )
    prefix = (workdir / "out").resolve()
    res = run_logged(
        "verilator-sim",
        [exe.resolve(), prefix, max_cycles, ready_percent, seed, *n_out_words, *files],
        cwd or workdir,
        workdir / "sim.log",
        check=False,
    )
    stats = json.loads(res.log().strip().splitlines()[-1])
    words, cycles = [], []
    for j, width in enumerate(block.out_widths):
        out = Path(f"{prefix}{j}.bin")
        words.append(chunks_to_words(np.fromfile(out, dtype=np.uint32), width))
        cycles.append(np.fromfile(f"{out}.cycles", dtype=np.uint64).astype(np.int64))
    stats["out_cycles"] = cycles
    return words, stats
