"""The sweep report: ``<sweep>/report/index.html`` with the Pareto fronts (accuracy vs latency
and vs LUT, coloured by the third objective), a parallel-coordinates view of the axes, the
trial table with links to each trial's own report, literature reference points, and the
CSV / Parquet exports."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from ..report.literature import JET_LITERATURE
from .pareto import results_table, write_exports
from .spec import SweepSpec

__all__ = ["write_sweep_report"]


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _front(df, x: str, y: str, color: str | None, literature: bool, connect: bool) -> str | None:
    """y vs x (an accuracy, a fraction, in %); the Pareto set circled (joined when the front is
    2-D), the third objective as colour, literature points as labelled stars."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ok = df[(df["state"] == "COMPLETE") & df[x].notna() & df[y].notna()]
    if not len(ok):
        return None
    scale = 100 if "accuracy" in y else 1
    fig, ax = plt.subplots(figsize=(6, 4.2))
    c = ok[color] if color and color in ok and ok[color].notna().all() else None
    if c is not None:
        sc = ax.scatter(ok[x], scale * ok[y], c=c, cmap="viridis", s=28, alpha=0.8, label="trials")
        fig.colorbar(sc, ax=ax, label=color)
    else:
        ax.scatter(ok[x], scale * ok[y], s=28, alpha=0.8, label="trials")
    front = ok[ok["pareto"]].sort_values(x)
    ax.plot(front[x], scale * front[y], "r-o" if connect else "ro", ms=7, mfc="none", label="Pareto set")
    for t, row in ok.iterrows():
        ax.annotate(str(t), (row[x], scale * row[y]), fontsize=6, alpha=0.6)
    if literature:
        for ref in JET_LITERATURE:
            if ref.get(x) is not None and ref.get(y) is not None:
                ax.scatter([ref[x]], [scale * ref[y]], marker="*", s=140, color="k")
                ax.annotate(f"{ref['label']}*", (ref[x], scale * ref[y]), fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{y} (%)" if scale == 100 else y)
    ax.set_title(f"{y} vs {x}" + (f" (colour: {color})" if c is not None else ""), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _png(fig)


def _parallel(df, params: list[str], objective: str) -> str | None:
    import matplotlib.pyplot as plt

    ok = df[df["state"] == "COMPLETE"]
    if len(ok) < 2 or not params:
        return None
    cols = [*params, objective]
    data = ok[cols].apply(lambda s: s.astype("category").cat.codes if s.dtype == object else s.astype(float))
    span = (data.max() - data.min()).replace(0, 1)
    norm = (data - data.min()) / span
    fig, ax = plt.subplots(figsize=(7, 3.6))
    cmap = plt.get_cmap("viridis")
    score = norm[objective].to_numpy()
    for i, (_, row) in enumerate(norm.iterrows()):
        ax.plot(range(len(cols)), row.to_numpy(), color=cmap(score[i]), alpha=0.7, lw=1.2)
    raw = ok[cols]
    for j, col in enumerate(cols):  # each axis' own scale: its lowest and highest value
        ax.axvline(j, color="0.6", lw=0.8)
        for end, value in ((-0.06, raw[col].min()), (1.03, raw[col].max())):
            text = f"{value:.3g}" if isinstance(value, int | float) else str(value)
            ax.annotate(text, (j, end), ha="center", fontsize=7, annotation_clip=False)
    ax.set_xticks(range(len(cols)), [c.removeprefix("param:") for c in cols], rotation=12, fontsize=7)
    ax.set_ylim(-0.1, 1.1)
    ax.set_yticks([])
    ax.set_title(f"axes of each complete trial, coloured by {objective}", fontsize=9)
    return _png(fig)


def write_sweep_report(study, spec: SweepSpec, wall_s: float | None = None) -> Path:
    df = results_table(study, spec)
    folder = spec.folder / "report"
    folder.mkdir(parents=True, exist_ok=True)
    exports = write_exports(df, folder)
    obj = [o.metric for o in spec.objectives]
    acc = next((m for m in obj if "accuracy" in m), obj[0])
    plots = []
    third = {m: next((o for o in obj if o not in (acc, m)), None) for m in ("latency_ns", "lut")}
    for x in ("latency_ns", "lut"):
        if x in df:
            png = _front(df, x, acc, third[x], literature=True, connect=len(obj) == 2 and x in obj)
            if png:
                plots.append((f"{acc} vs {x}", png))
    par = _parallel(df, [c for c in df.columns if c.startswith("param:")], acc)
    if par:
        plots.append(("parallel coordinates", par))
    points = [(t.number, p) for t in study.get_trials(deepcopy=False) for p in t.user_attrs.get("points", [])]
    if points:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter([p["ebops"] for _, p in points], [100 * p["val_accuracy"] for _, p in points], s=14)
        ax.set_xscale("log")
        ax.set_xlabel("EBOPs")
        ax.set_ylabel("validation accuracy (%)")
        ax.set_title("HGQ2 in-training Pareto checkpoints (all trials)", fontsize=9)
        plots.append(("in-training checkpoints", _png(fig)))

    def link(run: str) -> str:
        index = _report_page(run)
        if index is not None and index.is_file():
            return f'<a href="{html.escape(index.as_uri())}">report</a>'
        return f'<a href="{html.escape(Path(run).as_uri())}">run folder</a>' if run else ""

    show = df.copy()
    if len(show):
        show["run"] = [link(r) for r in show["run"]]
        show = show.loc[:, [c for c in show.columns if show[c].notna().any() and (show[c] != "").any()]]
        show.columns = [c.removeprefix("param:") for c in show.columns]
    table = (
        show.to_html(escape=False, float_format=lambda v: f"{v:.4g}", na_rep="")
        if len(show)
        else "<p>no trials</p>"
    )
    states = df["state"].value_counts().to_dict() if len(df) else {}
    lit = "".join(f"<li>{html.escape(r['label'])}: {html.escape(r['source'])}</li>" for r in JET_LITERATURE)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>sweep {html.escape(spec.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto}} table{{border-collapse:collapse;font-size:.8em}}
td,th{{border:1px solid #ddd;padding:.2em .4em}} img{{max-width:100%;border:1px solid #eee}} .grid{{display:flex;flex-wrap:wrap;gap:1em}}</style></head><body>
<h1>sweep {html.escape(spec.name)}</h1>
<p>{len(df)} trials: {html.escape(str(states))}{f"; wall time {wall_s:.0f} s" if wall_s else ""}. Sampler {spec.sampler.kind}; objectives
{", ".join(f"{o.direction} {o.metric}" for o in spec.objectives)}; constraints: {html.escape(", ".join("fits the part" if c.fits_part else f"{c.metric} {c.op} {c.value:g}" for c in spec.constraints) or "none")}. Base config {html.escape(str(spec.base))}.</p>
<div class="grid">{"".join(f'<figure><img src="data:image/png;base64,{p}"><figcaption>{html.escape(t)}</figcaption></figure>' for t, p in plots)}</div>
<p><b>*</b> Literature points are from other data sets (Delphes-based hls4ml jets, more features per particle): shown for scale, not for comparison of accuracy:</p><ul>{lit}</ul>
<h2>Trials</h2>{table}
<p>Exports: {", ".join(html.escape(p.name) for p in exports)}</p>
</body></html>"""
    (folder / "index.html").write_text(page)
    for t, png in plots:
        (folder / f"{t.replace(' ', '_')}.png").write_bytes(base64.b64decode(png))
    return folder / "index.html"


def _report_page(run: str) -> Path | None:
    """A trial's report page, located through its plan (None when it has none yet)."""
    from ..errors import UserError
    from ..run import Run

    try:
        return Run.open(run).locate("report").with_name("index.html") if run else None
    except UserError:
        return None
