"""The one resource table a run's numbers are quoted from, and whether the design fits."""

from __future__ import annotations

from ..records import ResourceTable
from ..targets import part_info

__all__ = ["best_resources", "overflows"]

_RANK = {"post-route": 3, "post-synth": 2}


def best_resources(run) -> tuple[str, ResourceTable] | None:
    """(source, table) of the best complete resource table of the run's steps: post-route >
    post-synth > Yosys > other estimates (da4ml's, finn-plus'); None when there is none."""
    tables = []
    for step in run.plan.step_names:
        rec = run.record(step)
        if rec is not None:
            tables += [(name, t) for name, t in rec.report.resources.items() if t.complete]
    if not tables:
        return None
    return max(tables, key=lambda nt: (_RANK.get(nt[1].kind, 1), nt[0].startswith("yosys")))


def overflows(counts: dict, part: str) -> dict[str, tuple[float, int]]:
    """Resources over the part's capacity: {name: (used, available)}."""
    available = part_info(part).available()
    return {k: (counts[k], a) for k, a in available.items() if counts.get(k) is not None and counts[k] > a}
