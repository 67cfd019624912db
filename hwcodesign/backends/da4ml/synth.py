"""Resources of a da4ml project: da4ml's own cost estimate, and Yosys ``synth_xilinx`` of
each pipeline stage on its own (in parallel, cached by content, within a time budget).

Pipeline registers are counted from the top module's ``reg`` declarations, since the
stages are synthesised without them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...tools import yosys
from .project import TOP, RtlProject

__all__ = ["stage_sources", "register_bits", "YosysStages", "synth_stages", "da4ml_estimate"]


def stage_sources(src: Path, project: str = TOP) -> tuple[list[tuple[str, list[Path]]], list[Path]]:
    """(stage module, its sources) jobs for a da4ml pipeline, and the static library files."""
    static = sorted((src / "static").glob("*.v"))
    stages = sorted(
        src.glob(f"{project}_stage*.v"), key=lambda p: int(re.search(r"stage(\d+)", p.name).group(1))
    )
    return [(p.stem, [p, *static]) for p in stages], static


def register_bits(top_verilog: str) -> int:
    """Bits of every ``reg [h:l] name;`` (and output reg) in the pipeline's top module."""
    total = 0
    for m in re.finditer(r"\breg\s*(?:\[(\d+):(\d+)\])?\s*\w+", top_verilog):
        hi, lo = m.group(1), m.group(2)
        total += (int(hi) - int(lo) + 1) if hi is not None else 1
    return total


def count_products(project: RtlProject) -> int:
    """Multiplications of two signals in the design (da4ml opcode 7, e.g. attention's
    activation x activation); products with constants are already adders."""
    from da4ml.types import CombLogic

    comb = CombLogic.load(str(project.comb_path))
    return sum(1 for op in comb.ops if int(op.opcode) == 7)


def da4ml_estimate(project: RtlProject) -> dict[str, int]:
    """da4ml's cost model: LUT = adder bits, FF = register bits; no DSP, no BRAM."""
    meta = project.metadata()
    return {"LUT": int(meta["cost"]), "FF": int(meta.get("reg_bits", 0)), "DSP": 0, "BRAM_18K": 0}


@dataclass(frozen=True)
class YosysStages:
    """Per-stage Yosys results summed: counts, one row per stage, and whether it was cut."""

    counts: dict[str, int]
    rows: list[dict] = field(default_factory=list)
    done: int = 0
    total: int = 0
    cached: int = 0
    yosys_seconds: float = 0.0
    budget_s: float = 0.0

    @property
    def complete(self) -> bool:
        return self.done == self.total

    def note(self) -> str:
        if not self.complete:
            return (
                f"{self.total - self.done} of {self.total} pipeline stages not synthesised within "
                f"{self.budget_s:.0f} s"
            )
        return (
            f"{self.total} pipeline stages synthesised separately ({self.cached} from cache, "
            f"{self.yosys_seconds:.0f} s of Yosys time); FF = pipeline register bits"
        )


def synth_stages(
    project: RtlProject,
    family: str,
    workdir: Path,
    budget_s: float,
    workers: int | None = None,
    cache_dir: Path | None = None,
    nodsp: bool = False,
) -> YosysStages:
    """Yosys ``synth_xilinx`` of every pipeline stage; smaller stages first so a cut budget
    covers most of the design. ``nodsp``: multipliers as LUT logic, not DSP48.

    Raises:
        ToolNotFoundError: yosys is not installed.
    """
    jobs, _ = stage_sources(project.src)
    jobs.sort(key=lambda j: j[1][0].stat().st_size)
    results = yosys.synth_modules(
        jobs,
        family,
        workdir,
        budget_s,
        workers or os.cpu_count() or 1,
        project.src / "memfiles",
        cache_dir,
        nodsp=nodsp,
    )
    done = {k: r for k, r in results.items() if r is not None and not r.timed_out}
    rows = []
    for name, _ in sorted(jobs, key=lambda j: int(re.search(r"stage(\d+)", j[0]).group(1))):
        r = results[name]
        row: dict = {"pipeline stage": name.rsplit("_", 1)[-1]}
        if name in done:
            row.update({k: r.counts.get(k, 0) for k in ("LUT", "CARRY", "MUXF", "DSP")})
            row["yosys s"] = round(r.seconds, 1)
        else:
            row["status"] = "cut" if r is not None else "not started"
        rows.append(row)
    counts: dict[str, int] = {}
    for r in done.values():
        for k, v in r.counts.items():
            counts[k] = counts.get(k, 0) + v
    counts["FF"] = counts.get("FF", 0) + register_bits((project.src / f"{TOP}.v").read_text())
    return YosysStages(
        counts=counts,
        rows=rows,
        done=len(done),
        total=len(jobs),
        cached=sum(1 for r in done.values() if "cached" in r.notes),
        yosys_seconds=sum(r.seconds for r in results.values() if r is not None),
        budget_s=budget_s,
    )
