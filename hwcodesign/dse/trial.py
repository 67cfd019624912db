"""One trial, as a Dask worker runs it: an ordinary run folder under ``<sweep>/trials/`` that
goes through the ordinary steps (shared, content-addressed caches; a re-submitted trial
resumes from its finished steps). Returns plain data (picklable), never raises for a user
mistake: a config hls4ml cannot convert is a failed trial with its one-line error."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

__all__ = ["run_trial", "trial_metrics", "apply_overrides", "attempts_file"]


def apply_overrides(raw: dict, overrides: dict[str, Any]) -> dict:
    raw = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return raw


def trial_metrics(run) -> dict[str, float]:
    """Every metric of every step record (first one wins), plus ``lut``, ``ff``, ``dsp``,
    ``bram_18k`` from the best complete resource table (``report/resources.py``) and
    ``fits_part`` (1 or 0)."""
    from ..report.resources import best_resources, overflows

    flat: dict[str, float] = {}
    for step in run.plan.step_names:
        rec = run.record(step)
        if rec is None:
            continue
        for name, m in rec.metrics.items():
            if isinstance(m.value, int | float) and name not in flat:
                flat[name] = float(m.value)
    best = best_resources(run)
    if best is not None:
        counts = best[1].counts
        for key in ("LUT", "FF", "DSP", "BRAM_18K"):
            flat[key.lower()] = float(counts.get(key, 0))
        flat["fits_part"] = float(not overflows(counts, run.config.target.part))
    return flat


def _quiet_worker() -> None:
    """The driver's terminal shows progress; each trial's full log is in its run folder."""
    import logging

    from ..environment import quiet_tensorflow

    quiet_tensorflow("2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # a task that raises is retried, then reported once by the driver: no traceback per attempt
    logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)


def _wait_for_previous_attempt(root: Path, timeout_s: float = 600) -> None:
    """A resubmitted trial (its driver or worker was killed) may find the first attempt's
    worker still winding down: wait for it to let go of the run folder."""
    from ..locks import exclusive

    if (root / ".lock").exists():
        with exclusive(root / ".lock", f"trial {root.name}", wait=True, poll_s=1.0, timeout_s=timeout_s):
            pass


def attempts_file(root: Path) -> Path:
    return root.parent / ".attempts" / f"{root.name}.jsonl"


def _count_attempt(root: Path, add: bool = True) -> int:
    """Note this attempt (PID, time) in ``<trials>/.attempts/<trial>.jsonl`` (outside the run
    folder, which the run makes itself); returns the attempts so far. A trial whose worker or
    driver was killed shows 2 or more."""
    import datetime as dt
    import json
    import os

    log = attempts_file(root)
    if add:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as f:
            f.write(json.dumps({"pid": os.getpid(), "started": dt.datetime.now().isoformat()}) + "\n")
    return len(log.read_text().splitlines()) if log.is_file() else 0


def _start_from(run_folder: str, root: Path) -> None:
    """A new trial folder begins as a copy of a finished run (its lock and temporary folders left
    out); ``run_flow(..., overwrite=True)`` then re-runs only the steps whose inputs changed."""
    import shutil

    if not root.exists():
        tmp = root.with_name(f".{root.name}.copy")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(run_folder, tmp, symlinks=True, ignore=shutil.ignore_patterns(".lock", ".*.tmp"))
        tmp.rename(root)


def run_trial(
    base: dict,
    overrides: dict[str, Any],
    runs_dir: str,
    name: str,
    until: str | None,
    checkpoints: bool,
    start_from: str | None = None,
) -> dict:
    """Run one trial (starting from a copy of the run folder ``start_from`` if given); returns
    {"state": "complete"|"fail", "metrics", "run", "error", "points", "attempts"}."""
    _quiet_worker()
    from ..config import config_from_dict
    from ..errors import HwcodesignError
    from ..flows import run_flow

    raw = apply_overrides(base, overrides)
    raw.update(name=name, runs_dir=runs_dir)
    root = str(Path(runs_dir) / name)
    try:
        cfg = config_from_dict(raw)
        _wait_for_previous_attempt(Path(root))
        if start_from:
            _start_from(start_from, Path(root))
        attempts = _count_attempt(Path(root))
        run = run_flow(cfg, until=until, overwrite=True)
    except HwcodesignError as e:
        return {
            "state": "fail",
            "error": " ".join(str(e).split())[:500],
            "run": root,
            "metrics": {},
            "points": [],
            "attempts": _count_attempt(Path(root), add=False),
        }
    points = []
    if checkpoints:
        from .pareto import checkpoint_points

        points = checkpoint_points(run)
    return {
        "state": "complete",
        "metrics": trial_metrics(run),
        "run": root,
        "error": "",
        "points": points,
        "attempts": attempts,
    }
