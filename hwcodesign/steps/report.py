"""Step ``report``: ``report/report.json`` (the numbers, each with its source) and
``report/index.html`` (the same for people, with plots)."""

from __future__ import annotations

from pathlib import Path

from ..artifacts import REPORT
from ..records import StepResult
from ..report import build_report, load_train_summary, render_html
from ..run import Run

__all__ = ["step_report"]


def step_report(run: Run, out: Path) -> StepResult:
    report = build_report(run, [s for s in run.plan.step_names if s != "report"])
    (out / REPORT.filename).write_text(report.model_dump_json(indent=2))
    (out / "index.html").write_text(render_html(report, load_train_summary(run)))
    return StepResult(message=f"{len(report.notes)} notes")
