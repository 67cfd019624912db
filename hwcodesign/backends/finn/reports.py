"""Pure parsers of the report files finn-plus builds write (``report/estimate_*.json``,
``time_per_step.json``, ``post_synth_resources.json``): text in, numbers out."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["version", "parse_estimate_reports", "parse_time_per_step", "parse_post_synth_resources"]


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("finn-plus")


def _num(v):
    """FINN writes some numbers as strings ('4', '0.5')."""
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() else f
    return v


def parse_estimate_reports(report_dir: Path) -> dict:
    """Per-layer cycles and resources plus network performance from a finn build's
    ``report/`` folder. Missing files give empty sections."""

    def load(name: str) -> dict:
        p = report_dir / name
        return json.loads(p.read_text()) if p.is_file() else {}

    cycles = {k: _num(v) for k, v in load("estimate_layer_cycles.json").items()}
    res = load("estimate_layer_resources.json")
    total = res.pop("total", None)
    layers = []
    for name in dict.fromkeys([*cycles, *res]):
        r = {k: _num(v) for k, v in res.get(name, {}).items()}
        layers.append({"layer": name, "cycles": cycles.get(name), **r})
    perf = {k: _num(v) for k, v in load("estimate_network_performance.json").items()}
    return {
        "layers": layers,
        "total": {k: _num(v) for k, v in (total or {}).items()},
        "network": perf,
        "hls": {
            k: {kk: _num(vv) for kk, vv in v.items()}
            for k, v in load("estimate_layer_resources_hls.json").items()
        },
        "ops_and_params": load("op_and_param_counts.json"),
        "alternatives": load("estimate_layer_config_alternatives.json"),
    }


def parse_time_per_step(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in json.loads(text).items()}


def parse_post_synth_resources(text: str) -> dict[str, dict]:
    """``post_synth_resources.json``: instance -> resource counts (numbers)."""
    return {k: {kk: _num(vv) for kk, vv in v.items()} for k, v in json.loads(text).items()}
