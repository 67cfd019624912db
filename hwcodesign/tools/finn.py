"""finn-plus without Vivado: the bootstrap its Python API needs, and pure parsers of the
report files its builds write (``report/estimate_*.json``, ``time_per_step.json``).

finn-plus' CLI (``finn build``, ``finn deps``) refuses to start without Vivado. Its Python
transformations work once (a) ``FINN_BUILD_DIR`` points at a writable folder so its
settings can be built, and (b) ``finn.xsi.SimEngine`` (the Vivado-xsim binding imported
when ``finn.builder.build_dataflow_steps`` loads) is bound to a placeholder that raises
a clear error if anything actually tries to simulate with xsim.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import MissingDependencyError, ToolNotFoundError

__all__ = [
    "bootstrap",
    "version",
    "parse_estimate_reports",
    "parse_time_per_step",
    "parse_post_synth_resources",
]

INSTALL = ".venv/bin/pip install --no-deps finn-plus==1.6.1  (part of `make install`)"


class _NoXsim:
    """Stands in for finn_xsi's SimEngine when Vivado is absent."""

    def __init__(self, *args, **kwargs) -> None:
        raise ToolNotFoundError(
            "Vivado xsim (finn_xsi)",
            "finn-plus rtlsim",
            "source Vivado's settings64.sh",
            "hwcodesign simulates finn-plus RTL layers with Verilator instead (step finn_rtlsim)",
        )


def bootstrap(build_dir: Path) -> None:
    """Make finn-plus' Python API usable in this process (idempotent).

    Sets ``FINN_BUILD_DIR`` (finn-plus reads its settings from the environment; this is the
    one place hwcodesign writes it) and binds the xsim placeholder.

    Raises:
        MissingDependencyError: finn-plus is not installed.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    os.environ["FINN_BUILD_DIR"] = str(build_dir.resolve())
    try:
        import finn.xsi as xsi
    except ImportError:
        raise MissingDependencyError("finn-plus", "the finn-plus flow", INSTALL) from None
    if "SimEngine" not in vars(xsi) and not os.environ.get("XILINX_VIVADO"):
        xsi.SimEngine = _NoXsim  # type: ignore[attr-defined]
    import finn.util.settings as settings

    # finn-plus caches its settings (build folder included) on first use; a second run in
    # the same process must not write into the first run's (since renamed) staging folder
    current = settings._SETTINGS  # noqa: SLF001 - finn-plus offers no public setter
    if current is None or Path(current.finn_build_dir).resolve() != build_dir.resolve():
        settings._SETTINGS = settings._initialize_from_environment()  # noqa: SLF001


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
