"""``report.json`` for people in Python: sections as pandas DataFrames (``hw.open(run).report``),
and the headline rows ``hwcodesign show`` prints. Pure: it reads the report's data, nothing else."""

from __future__ import annotations

from pathlib import Path

__all__ = ["Report"]

#: The sections ``show`` prints, in order.
HEADLINE_SECTIONS = ("accuracy", "bit_exactness", "model", "latency")


class Report:
    """``report.json`` with its sections as pandas DataFrames (each number with its source)."""

    METRIC_SECTIONS = ("accuracy", "bit_exactness", "latency", "model", "deployment")

    def __init__(self, data: dict, folder: Path) -> None:
        self.data = data
        self.folder = folder  # the report step's folder (report.json, index.html)

    def section(self, name: str):
        import pandas as pd

        rows = {
            k: {c: m.get(c) for c in ("value", "unit", "kind", "n", "source", "note")}
            for k, m in self.data.get(name, {}).items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def __getattr__(self, name: str):
        if name in self.METRIC_SECTIONS:
            return self.section(name)
        raise AttributeError(name)

    @property
    def resources(self):
        """Counts per resource (rows) and source (columns)."""
        import pandas as pd

        return pd.DataFrame({src: t["counts"] for src, t in self.data.get("resources", {}).items()})

    @property
    def tables(self) -> dict:
        import pandas as pd

        return {title: pd.DataFrame(rows) for title, rows in self.data.get("layers", {}).items()}

    @property
    def notes(self) -> list[str]:
        return list(self.data.get("notes", []))

    def html(self) -> str:
        """The full HTML report (with plots)."""
        return (self.folder / "index.html").read_text()

    def _repr_html_(self) -> str:
        from html import escape

        parts = [
            f"<h3>{escape(self.data['run']['name'])} <small>({escape(self.data['run']['flow'])})</small></h3>"
        ]
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in self.notes) + "</ul>")
        for name in ("accuracy", "bit_exactness", "latency", "deployment"):
            df = self.section(name)
            if len(df):
                parts.append(f"<h4>{name}</h4>" + df[["value", "unit", "n", "source"]].to_html())
        if self.data.get("resources"):
            parts.append("<h4>resources</h4>" + self.resources.to_html())
        parts.append(f"<p>full report: <code>{escape(str(self.folder / 'index.html'))}</code></p>")
        return "\n".join(parts)

    def headline(self) -> list[tuple[str, str, str, str]]:
        """(section, quantity, value with unit, source) rows of the headline sections."""
        rows = []
        for section in HEADLINE_SECTIONS:
            for key, m in self.data.get(section, {}).items():
                if isinstance(m, dict) and "value" in m:
                    val = m["value"]
                    shown = (
                        f"{100 * val:.3f}%"
                        if m.get("unit") == "fraction" and val is not None
                        else f"{val} {m.get('unit', '')}"
                    )
                    rows.append((section, key, shown, m.get("source", "")))
        return rows
