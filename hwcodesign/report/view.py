"""``report.json`` for people in Python (``hw.open(run).report``): every section as a pandas
DataFrame under a short key, and the headline rows ``hwcodesign show`` prints. Pure: it reads
the report's data, nothing else.

    rep = hw.open("runs/jet_tagger").report
    rep.accuracy            # value, uncertainty (binomial), unit, kind, n, source per model form
    rep.resources           # one row per source: kind, coverage (complete / partial), counts, % of the part
    rep.layers["stages"]    # the report's tables by short key (rep.table_titles: key -> title)
    rep.section("latency")  # the same by name; an unknown name lists the known ones
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..errors import ReportSectionError
from ..train.metrics import binomial_error

__all__ = ["Report", "SECTIONS", "table_key"]

#: Every section of ``report.json`` and what its DataFrame holds.
SECTIONS = {
    "accuracy": "test accuracy per model form: value, binomial uncertainty, unit, kind, n, source",
    "auc": "ROC AUC per class (rows) and model form (columns)",
    "efficiency": "signal efficiency at fixed mistag rates per model form and class (binomial uncertainty)",
    "regression": "single-output regression: bias, resolution, RMS, MAE of the residuals per model form",
    "bit_exactness": "fraction of test samples with identical outputs, per comparison",
    "model": "EBOPs, parameters",
    "latency": "cycles, ns, II, pipeline stages, budget",
    "resources": "one row per source: kind, coverage (complete / partial), counts, % of the part",
    "deployment": "package, virtual board, board numbers",
    "layers": "the report's tables (dict: short key -> DataFrame; see table_titles)",
    "notes": "what is missing or cut, and why (one row each)",
    "data": "the dataset: source, classes, features, counts per split",
    "inputs": "what the design takes: shape, preprocessing, fixed-point format, what the outputs are",
    "steps": "status, seconds, start time per step",
    "tools": "tool -> version",
    "metrics": "every metric of every step (step, metric) -> value, unit, source",
    "config": "the run's config, one row per dotted key",
    "run": "name, flow, folder, created",
}
_METRIC_SECTIONS = ("accuracy", "bit_exactness", "latency", "model", "deployment")
_COLUMNS = ("value", "unit", "kind", "n", "source", "note")
#: The sections ``show`` prints, in order.
HEADLINE_SECTIONS = ("accuracy", "bit_exactness", "model", "latency")
#: The resources ``show`` prints (every count is in ``resources``).
_HEADLINE_RESOURCES = ("LUT", "FF", "DSP", "BRAM_18K", "URAM")
#: Short keys of the tables hwcodesign's own steps write (title prefix -> key).
_TABLE_KEYS = (
    ("Signal efficiency at fixed mistag", "efficiency"),
    ("Pipeline stages (Yosys -nodsp", "stages_nodsp"),
    ("Pipeline stages", "stages"),
    ("Fast emulation", "emulation"),
    ("Virtual board", "virtual_board"),
    ("finn-plus RTL layers simulated", "finn_rtlsim"),
    ("finn-plus layers", "finn_layers"),
    ("Regression residuals", "residuals"),
)


def table_key(title: str) -> str:
    """The short key of a report table: a known title's key, else the title as a slug."""
    for prefix, key in _TABLE_KEYS:
        if title.startswith(prefix):
            return key
    words = re.sub(r"\(.*?\)", "", title.split(":")[0]).lower()
    return re.sub(r"[^a-z0-9]+", "_", words).strip("_")[:40] or "table"


class Report:
    """A run's ``report.json``, each section as a pandas DataFrame under a short key.

    Attributes:
        data: the whole ``report.json`` as a dict (``section("data")`` is the dataset section).
        folder: the report step's folder (``report.json``, ``index.html``).

    Every key of :data:`SECTIONS` is an attribute (``rep.accuracy``, ``rep.auc``,
    ``rep.resources``, ``rep.latency``, ``rep.layers``, ...) and ``rep.section(name)``;
    ``rep.notes`` is a list of strings. An unknown name raises ``ReportSectionError`` listing
    the known ones. Fractions stay fractions (0.97, not 97 %).
    """

    def __init__(self, data: dict, folder: Path) -> None:
        self.data = data
        self.folder = folder

    # -- sections ---------------------------------------------------------------------
    def section(self, name: str):
        """The section ``name`` of :data:`SECTIONS` as a DataFrame (``layers``: a dict of them).

        Raises:
            ReportSectionError: an unknown name (the message lists the known ones).
        """
        if name not in SECTIONS:
            raise ReportSectionError(f"the report has no section '{name}'; sections: {', '.join(SECTIONS)}")
        if name in _METRIC_SECTIONS:
            return self._metrics(name)
        if name == "metrics":
            return self._metrics_of_steps()
        return getattr(self, f"_{name}")()

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in SECTIONS:
            raise ReportSectionError(
                f"'Report' has no attribute or section '{name}'; sections: {', '.join(SECTIONS)}"
            )
        return self.section(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(SECTIONS))

    @property
    def notes(self) -> list[str]:
        """What is missing or cut, and why (``section("notes")`` gives them as a DataFrame)."""
        return list(self.data.get("notes", []))

    @property
    def tables(self) -> dict:
        """The report's tables by short key (the same as ``layers``)."""
        return self._layers()

    @property
    def table_titles(self) -> dict[str, str]:
        """Short key -> full title of each table."""
        return dict(self._keyed_tables())

    def _metrics(self, name: str):
        import pandas as pd

        rows = {}
        for key, m in self.data.get(name, {}).items():
            row = {c: m.get(c) for c in _COLUMNS}
            if name == "accuracy":
                row["uncertainty"] = _uncertainty(m)
            rows[key] = row
        cols = ["value", "uncertainty", *_COLUMNS[1:]] if name == "accuracy" else list(_COLUMNS)
        return pd.DataFrame.from_dict(rows, orient="index", columns=cols)

    def _auc(self):
        import pandas as pd

        return pd.DataFrame(self.data.get("auc", {}))

    def _efficiency(self):
        import pandas as pd

        cols = ["model", "class", "mistag", "efficiency", "uncertainty", "n_signal", "n_background"]
        return pd.DataFrame(self.data.get("efficiency", []), columns=cols)

    def _regression(self):
        import pandas as pd

        return pd.DataFrame.from_dict(self.data.get("regression", {}), orient="index")

    def _resources(self):
        import pandas as pd

        rows = {}
        for src, t in self.data.get("resources", {}).items():
            row: dict[str, Any] = {
                "kind": t.get("kind"),
                "coverage": "complete" if t.get("complete", True) else "PARTIAL",
                **t.get("counts", {}),
                **{f"% {k}": v for k, v in t.get("percent", {}).items()},
                "part": t.get("part", ""),
                "note": t.get("note", ""),
            }
            rows[src] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def _keyed_tables(self) -> list[tuple[str, str]]:
        out, seen = [], set()
        for title in self.data.get("layers", {}):
            key, i = table_key(title), 2
            while key in seen:
                key, i = f"{table_key(title)}_{i}", i + 1
            seen.add(key)
            out.append((key, title))
        return out

    def _layers(self) -> dict:
        import pandas as pd

        return {key: pd.DataFrame(self.data["layers"][title]) for key, title in self._keyed_tables()}

    def _notes(self):
        import pandas as pd

        return pd.DataFrame({"note": self.notes})

    def _facts(self, section: str):
        import pandas as pd

        facts = self.data.get(section, {})
        return pd.DataFrame({"value": list(facts.values())}, index=list(facts), dtype=object)

    def _data(self):
        return self._facts("data")

    def _inputs(self):
        return self._facts("inputs")

    def _run(self):
        return self._facts("run")

    def _steps(self):
        import pandas as pd

        rows = {s["step"]: {k: v for k, v in s.items() if k != "step"} for s in self.data.get("steps", [])}
        return pd.DataFrame.from_dict(rows, orient="index")

    def _tools(self):
        import pandas as pd

        return pd.DataFrame({"version": self.data.get("tools", {})})

    def _metrics_of_steps(self):
        import pandas as pd

        rows = {
            (step, key): {c: m.get(c) for c in _COLUMNS}
            for step, ms in self.data.get("metrics", {}).items()
            for key, m in ms.items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def _config(self):
        import pandas as pd

        flat: dict[str, Any] = {}

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, f"{prefix}{k}.")
            else:
                flat[prefix.rstrip(".")] = node

        walk(self.data.get("config", {}), "")
        return pd.DataFrame({"value": list(flat.values())}, index=list(flat), dtype=object)

    # -- for people -------------------------------------------------------------------
    def html(self) -> str:
        """The full HTML report (with plots)."""
        return (self.folder / "index.html").read_text()

    def __repr__(self) -> str:
        run = self.data.get("run", {})
        lines = [f"Report of run '{run.get('name')}' (flow {run.get('flow')}, {self.folder / 'report.json'})"]
        for section, quantity, value, kind, source in self.headline():
            lines.append(f"  {section:<13} {quantity:<26} {value:>22}  [{kind}] {source[:60]}")
        if self.notes:
            lines.append(f"  {len(self.notes)} notes (rep.notes)")
        lines.append(f"  sections: {', '.join(SECTIONS)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        run = self.data.get("run", {})
        parts = [f"<h3>{escape(str(run.get('name')))} <small>({escape(str(run.get('flow')))})</small></h3>"]
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in self.notes) + "</ul>")
        for name in ("accuracy", "bit_exactness", "latency", "deployment"):
            df = self.section(name)
            if len(df):
                cols = [c for c in ("value", "uncertainty", "unit", "n", "source") if c in df.columns]
                parts.append(f"<h4>{name}</h4>" + df[cols].to_html())
        if self.data.get("resources"):
            parts.append("<h4>resources</h4>" + self._resources().to_html())
        parts.append(f"<p>full report: <code>{escape(str(self.folder / 'index.html'))}</code></p>")
        return "\n".join(parts)

    def headline(self) -> list[tuple[str, str, str, str, str]]:
        """(section, quantity, value with unit, kind, source) rows: accuracy (with its binomial
        uncertainty), bit-exactness, model, latency, then resources (coverage and % of the part)."""
        rows = []
        for section in HEADLINE_SECTIONS:
            for key, m in self.data.get(section, {}).items():
                if isinstance(m, dict) and "value" in m:
                    rows.append((section, key, _shown(m), m.get("kind", ""), m.get("source", "")))
        for row in self._regression_rows():
            rows.append(row)
        for src, t in self.data.get("resources", {}).items():
            rows.extend(_resource_rows(src, t))
        return rows

    def _regression_rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for form, r in self.data.get("regression", {}).items():
            value = f"{r['resolution']:.4g} (bias {r['bias']:+.3g}, RMS {r['rms']:.4g})"
            rows.append(("regression", f"{form} resolution", value, "measured", r.get("source", "")))
        return rows


def _uncertainty(m: dict) -> float | None:
    if m.get("unit") != "fraction" or m.get("value") is None or not m.get("n"):
        return None
    return binomial_error(m["value"], m["n"])


def _shown(m: dict) -> str:
    val = m["value"]
    if val is None:
        return f"n/a {m.get('unit', '')}".strip()
    if m.get("unit") == "fraction":
        err = _uncertainty(m) if m.get("kind") != "literature" else None
        return f"{100 * val:.2f}%" + (f" ± {100 * err:.2f}%" if err else "")
    if isinstance(val, float) and not math.isfinite(val):
        return str(val)
    return f"{val:g} {m.get('unit', '')}".strip() if isinstance(val, int | float) else str(val)


def _resource_rows(src: str, t: dict) -> list[tuple[str, str, str, str, str]]:
    """One row per counted resource of one source, with % of the part; a partial count says so."""
    if t.get("complete", True):
        where = f"{src} (whole design)"
    else:
        where = f"{src}: PARTIAL, not the whole design: {t.get('note', '').removeprefix('INCOMPLETE: ')}"
    rows = []
    for k, v in t.get("counts", {}).items():
        if k not in _HEADLINE_RESOURCES:
            continue
        pct = t.get("percent", {}).get(k)
        shown = f"{v:,.0f}" + (f" ({pct:.2f}% of {t.get('part', 'the part')})" if pct is not None else "")
        rows.append(("resources", k, shown, t.get("kind", ""), where))
    return rows
