"""Benchmark: Yosys resource estimates of hwcodesign's own kernels (every ``hls/*/synth.json``).

A kernel's ``synth.json`` names its top module and the parameter sets to synthesise::

    {"top": "gelu", "extra_sources": ["shiftmax/shift_exp.sv"],
     "configs": [{"name": "P=1", "parameters": {"P": 1, "WI": 8, ...}}, ...]}

The sources are ``hls/<kernel>/*.sv`` plus ``extra_sources`` (relative to ``hls/``). Each config
runs ``synth_xilinx -family xcup`` (Zynq UltraScale+) with the parameters set by ``chparam`` and
memories kept as memories (LUTRAM/BRAM inferred, not flip-flops); files of the kernel folder
(``$readmemh`` tables) are visible to Yosys. Open-source estimates, not Vivado post-route numbers.
Configs run one after another (Yosys is single-threaded; the machine may be shared).

    .venv/bin/python bench/kernel_resources.py [--kernels shiftmax gelu] [--timeout 1200]

Prints a table (kernel, config, LUT, FF, CARRY, DSP, BRAM_18K, LUTRAM, seconds); JSON results go
to bench/results/kernel_resources.json (merged by kernel, so a partial run keeps the others).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HLS = REPO / "hls"
RESULTS = REPO / "bench" / "results" / "kernel_resources.json"
COLUMNS = ["LUT", "FF", "CARRY", "DSP", "BRAM_18K", "LUTRAM", "SRL"]

#: LUTs behind each distributed-RAM primitive (as Vivado counts "LUT as Memory"); categorise_cells
#: counts primitives and does not know UltraScale's RAM32M16 / RAM64M8.
_LUTRAM_LUTS = {
    **dict.fromkeys(["RAM16X1S", "RAM32X1S", "RAM64X1S", "RAM16X1S_1", "RAM32X1S_1", "RAM64X1S_1"], 1),
    **dict.fromkeys(["RAM16X1D", "RAM32X1D", "RAM64X1D", "RAM16X1D_1", "RAM32X1D_1", "RAM64X1D_1"], 2),
    **dict.fromkeys(["RAM16X2S", "RAM32X2S", "RAM64X2S", "RAM128X1S", "RAM128X1S_1"], 2),
    **dict.fromkeys(["RAM16X4S", "RAM32X4S", "RAM128X1D", "RAM256X1S", "RAM32M", "RAM64M"], 4),
    **dict.fromkeys(["RAM16X8S", "RAM32X8S", "RAM256X1D", "RAM512X1S", "RAM32M16", "RAM64M8"], 8),
    **dict.fromkeys(["RAM32X16DR8", "RAM64X8SW"], 8),
}


def resource_counts(cells: dict[str, int]) -> dict[str, int]:
    """The table's columns from Yosys' primitive counts; LUTRAM and SRL in LUTs."""
    from hwcodesign.tools.yosys import categorise_cells

    counts = categorise_cells(cells)
    counts["LUTRAM"] = sum(_LUTRAM_LUTS.get(name.lstrip("\\"), 0) * n for name, n in cells.items())
    return {c: counts.get(c, 0) for c in COLUMNS}


def kernel_jobs(names: list[str] | None) -> list[tuple[str, dict]]:
    """``(kernel, synth.json contents)`` of every kernel folder with a synth.json (or the named ones)."""
    found = {p.parent.name: json.loads(p.read_text()) for p in sorted(HLS.glob("*/synth.json"))}
    missing = sorted(set(names or []) - set(found))
    if missing:
        sys.exit(f"no hls/<kernel>/synth.json for {', '.join(missing)}; known: {', '.join(found)}")
    return [(k, spec) for k, spec in found.items() if not names or k in names]


def synth_config(kernel: str, spec: dict, config: dict, timeout_s: float, work: Path) -> dict:
    """One Yosys run: the resource classes, the seconds taken and the log file."""
    from hwcodesign.tools.yosys import synth_xilinx

    sources = sorted((HLS / kernel).glob("*.sv")) + [HLS / s for s in spec.get("extra_sources", [])]
    res = synth_xilinx(
        sources,
        spec["top"],
        "xcup",
        work,
        timeout_s=timeout_s,
        memory_dir=HLS / kernel,
        parameters=config["parameters"],
        map_memories=False,
    )
    return {
        "parameters": config["parameters"],
        "counts": resource_counts(res.cells),
        "cells": res.cells,
        "seconds": round(res.seconds, 1),
        "timed_out": res.timed_out,
        "source": f"yosys synth_xilinx -family xcup (yosys {yosys_version()})",
    }


def yosys_version() -> str:
    from hwcodesign.tools.yosys import version

    return version()


def print_table(results: dict[str, dict[str, dict]]) -> None:
    """The table: one line per kernel and config, numbers right-aligned ("cut": Yosys timed out)."""
    head = ["kernel", "config", *COLUMNS, "seconds"]
    rows = [
        [k, name, *("cut" if r["timed_out"] else str(r["counts"][c]) for c in COLUMNS), f"{r['seconds']:.1f}"]
        for k, configs in results.items()
        for name, r in configs.items()
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    for line in [head, ["-" * w for w in widths], *rows]:
        pairs = enumerate(zip(line, widths, strict=True))
        cells = [x.ljust(w) if i < 2 else x.rjust(w) for i, (x, w) in pairs]
        print("  ".join(cells))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", nargs="*", help="folders under hls/ (default: every one with synth.json)")
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds per Yosys run")
    args = ap.parse_args(argv)

    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="kernel-resources-") as tmp:
        for kernel, spec in kernel_jobs(args.kernels):
            results[kernel] = {}
            for config in spec["configs"]:
                work = Path(tmp) / kernel / config["name"].replace(" ", "_").replace("=", "")
                r = synth_config(kernel, spec, config, args.timeout, work)
                results[kernel][config["name"]] = r
                print(f"{kernel} {config['name']}: {r['counts']} in {r['seconds']:.0f} s", file=sys.stderr)
    print_table(results)
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**old, **results}, indent=2, sort_keys=True) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
