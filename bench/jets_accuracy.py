"""The jet tagger at physics scale (issue 19, item 4): N=16 candidates over several training seeds,
then the flow through ``rtl`` and ``synth`` for the best ones: accuracy (mean ± std), latency, II,
DSP and the complete-Yosys LUT; the accuracy-vs-LUT Pareto front with the float reference and
today's design marked.

Each (candidate, seed) is a real run of the flow (``runs/<config name>_seed<k>``, same jets and
split for all: ``data.seed`` is fixed); finished steps are reused, so the script resumes. The
distillation teacher (the wide float reference) is trained once and shared through the teacher
cache. Trigger constraints checked per design: II = 1, latency <= ``--budget-ns`` (100 ns = 20
cycles at 200 MHz), 0 DSP, LUT within the xcvu13p (1,728,000).

    .venv/bin/python bench/jets_accuracy.py                                  # physics scale (hours)
    .venv/bin/python bench/jets_accuracy.py --tiny --seeds 1 2 --hardware 1 --until rtl   # sanity check
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "jets_accuracy.json"
#: the physics-scale plot is the figure in docs/findings.md; the tiny one a sanity-check output
PLOT = REPO / "docs" / "img" / "jets_accuracy_pareto.png"
PLOT_TINY = REPO / "bench" / "results" / "jets_accuracy_pareto_tiny.png"
CANDIDATES = (
    "jet_linear_physics",
    "jet_linear_physics_distill",
    "jet_linear_physics_d32_distill",
    "jet_linear_physics_d32_max_distill",
    "jet_linear_physics_d48_max_distill",
    "jet_linear_physics_d48_max_warm",
)
XCVU13P_LUT = 1_728_000
TODAY = 0.6577  # jet_linear_physics, HGQ2, 3 seeds (docs/findings.md)
TODAY_STD = 0.0027
TODAY_LUT = 139_004  # its complete Yosys run (runs/jet_linear_physics)
#: The tiny setting: the committed Pythia8 sample, 2 epochs (checks that everything runs).
TINY = {"data.source": "sample", "data.jets_per_class": 500, "train.epochs": 2, "train.patience": 2}


def overrides(config: str, seed: int, args: argparse.Namespace) -> dict:
    # seed 1 (the configs' own) keeps the config's run name, so existing runs are reused
    out = {
        "runs_dir": str(REPO / "runs"),
        "train.seed": seed,
        "name": config if seed == 1 else f"{config}_seed{seed}",
    }
    if args.tiny:
        out |= TINY | {"name": f"{config}_tiny_seed{seed}", "target.synth.yosys_timeout_s": 120}
    if seed != 1:  # the reference (teacher) is the same for every seed: report it once
        out["train.float_reference"] = False
    return out


def train_point(config: str, seed: int, args: argparse.Namespace) -> dict:
    from hwcodesign.artifacts import load_train_summary
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow

    cfg = load_config(REPO / "configs" / f"{config}.yaml", overrides(config, seed, args))
    run = run_flow(cfg, until="train")
    s = load_train_summary(run)
    row = {"config": config, "seed": seed, "run": str(run.root.relative_to(REPO)), "tiny": args.tiny}
    for form in ("float_reference", "float", "quantized"):
        if form in s:
            row[form] = s[form]["accuracy"]
    row["ebops"] = s["quantized"].get("ebops")
    row["test_jets"] = int(np.sum(s["quantized"]["confusion"]))
    teacher = run.root / "model" / "teacher.json"
    if teacher.is_file():
        row["teacher"] = json.loads(teacher.read_text())["accuracy"]
    row["estimate_lut"] = lut_estimate(cfg)
    return row


def lut_estimate(cfg) -> dict:
    """LUT before any hardware step, scaled from the measured D=24 design (139,004 Yosys LUT, 144,428
    da4ml, ``runs/jet_linear_physics``): by weights (the brief's rule) and by MACs (io_parallel
    builds every per-particle layer N times, so MACs are the closer measure)."""
    m = cfg.model
    n, f, d = cfg.data.n_particles, len(cfg.data.features), m.hidden_dim

    def counts(d: int, exchanges: int, updates: int, head: int, heads: int) -> tuple[int, int]:
        per_particle = f * d + d * d * (exchanges + updates)  # embed, node per exchange, updates
        jet = exchanges * d * d + sum(
            a * b for a, b in zip([d, *[head] * heads], [*[head] * heads, 5], strict=True)
        )
        return per_particle + jet + exchanges * n, n * per_particle + jet  # (weights, MACs); no biases

    w, macs = counts(d, m.num_exchanges, m.num_updates, m.head_dim, m.head_layers)
    w0, macs0 = counts(24, 1, 1, 24, 2)
    return {"by_weights": round(139_004 * w / w0), "by_macs": round(139_004 * macs / macs0)}


def hardware_point(config: str, seed: int, args: argparse.Namespace) -> dict:
    """The flow of one trained run through ``args.until``: latency, II, DSP, LUT."""
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow

    cfg = load_config(REPO / "configs" / f"{config}.yaml", overrides(config, seed, args))
    run = run_flow(cfg, until=args.until)
    rtl = run.record("rtl").metrics
    row = {"config": config, "seed": seed, "tiny": args.tiny}
    row |= {k: rtl[k].value for k in ("latency_cycles", "latency_ns", "ii_cycles") if k in rtl}
    synth = run.record("synth")
    if synth is not None:
        sm = synth.metrics
        row |= {k: sm[k].value for k in ("lut_yosys", "dsp_yosys", "ff_yosys", "lut_da4ml") if k in sm}
        row["yosys_complete"] = "lut_yosys" in sm
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=list(CANDIDATES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument(
        "--hardware", type=int, default=2, help="how many of the best designs go through rtl/synth"
    )
    ap.add_argument("--until", choices=("rtl", "synth"), default="synth")
    ap.add_argument("--budget-ns", type=float, default=100.0)
    ap.add_argument("--tiny", action="store_true", help="the committed jet sample, 2 epochs")
    ap.add_argument("--report", action="store_true", help="no runs: the table and plot of every saved result")
    args = ap.parse_args()
    if args.report:
        if not RESULTS.is_file():
            raise SystemExit(f"--report: no saved results in {RESULTS}; run the bench first")
        saved = json.loads(RESULTS.read_text())
        rows = [r for r in saved["training"] if r.get("tiny", False) == args.tiny]
        hw = [h for h in saved["hardware"] if h.get("tiny", False) == args.tiny]
        report(rows, hw, args)
        return
    rows = []
    for config in args.configs:
        for seed in args.seeds:
            print(f"{config} seed {seed} ...", flush=True)
            rows.append(train_point(config, seed, args))
            print(json.dumps(rows[-1]), flush=True)
    means = {c: np.mean([r["quantized"] for r in rows if r["config"] == c]) for c in args.configs}
    best = sorted(means, key=means.get, reverse=True)[: args.hardware]
    if not args.tiny and CANDIDATES[0] in means and CANDIDATES[0] not in best:
        best.append(CANDIDATES[0])  # today's design: its hardware steps are done (runs/jet_linear_physics)
    hw = []
    for config in best:
        print(f"{config}: flow through {args.until} (seed {args.seeds[0]}) ...", flush=True)
        hw.append(hardware_point(config, args.seeds[0], args))
        print(json.dumps(hw[-1]), flush=True)
    save(rows, hw)
    report(rows, hw, args)


def report(rows: list[dict], hw: list[dict], args: argparse.Namespace) -> None:
    """The table (stdout) and the Pareto plot of training rows and hardware points."""
    print_table(rows, hw, args.budget_ns)
    plot(rows, hw, args.tiny)


def save(rows: list[dict], hw: list[dict]) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"training": [], "hardware": []}
    tkey = lambda r: (r["config"], r["seed"], r.get("tiny", False))  # noqa: E731
    hkey = lambda r: (r["config"], r.get("tiny", False))  # noqa: E731
    new_t, new_h = {tkey(r) for r in rows}, {hkey(r) for r in hw}
    out = {
        "training": [r for r in old["training"] if tkey(r) not in new_t] + rows,
        "hardware": [r for r in old["hardware"] if hkey(r) not in new_h] + hw,
    }
    RESULTS.write_text(json.dumps(out, indent=2))


def _ms(a: list[float]) -> str:
    v = 100 * np.array(a)
    return f"{v.mean():.2f} ± {v.std(ddof=1):.2f} %" if len(v) > 1 else f"{v.mean():.2f} %"


def print_table(rows: list[dict], hw: list[dict], budget_ns: float) -> None:
    refs = sorted({r["float_reference"] for r in rows if "float_reference" in r})  # one teacher, shared
    print(
        f"\nfloat reference: {', '.join(f'{100 * v:.2f} %' for v in refs) or '-'}; today: {100 * TODAY:.2f} %"
    )
    print(
        "| design | accuracy (seeds) | float twin | latency | II | DSP | LUT (Yosys, complete) | LUT (da4ml) "
        "| LUT estimate (MACs / weights) | meets constraints |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    by_hw = {h["config"]: h for h in hw}
    for config in dict.fromkeys(r["config"] for r in rows):
        mine = [r for r in rows if r["config"] == config]
        h, est = by_hw.get(config, {}), mine[0]["estimate_lut"]
        lat = f"{h['latency_cycles']} cycles = {h['latency_ns']:.0f} ns" if "latency_ns" in h else "-"
        lut = f"{h['lut_yosys']:,}" if "lut_yosys" in h else ("cut" if "lut_da4ml" in h else "-")
        da4 = f"{h['lut_da4ml']:,}" if "lut_da4ml" in h else "-"
        ok = "-"
        if "ii_cycles" in h and "dsp_yosys" in h:
            ok = (
                "yes"
                if (
                    h["ii_cycles"] == 1
                    and h["latency_ns"] <= budget_ns
                    and h["dsp_yosys"] == 0
                    and h.get("lut_yosys", XCVU13P_LUT + 1) <= XCVU13P_LUT
                )
                else "no"
            )
        print(
            f"| {config} | {_ms([r['quantized'] for r in mine])} ({len(mine)}) | "
            f"{_ms([r['float'] for r in mine if 'float' in r])} | {lat} | {h.get('ii_cycles', '-')} | "
            f"{h.get('dsp_yosys', '-')} | {lut} | {da4} | {est['by_macs']:,} / {est['by_weights']:,} | {ok} |"
        )


def _label(config: str) -> str:
    """``jet_linear_physics_d32_distill`` -> ``D32 distill``; the base config is D24."""
    rest = [r for r in config.removeprefix("jet_linear_physics").split("_") if r]
    if rest and rest[0][:1] == "d" and rest[0][1:].isdigit():
        return " ".join([rest[0].upper(), *rest[1:]])
    return " ".join(["D24", *rest])


def plot(rows: list[dict], hw: list[dict], tiny: bool) -> None:
    """Accuracy (mean ± std) vs LUT (Yosys if complete, else the MAC-scaled estimate, hollow), with
    the Pareto front, the float reference and today's design."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_hw = {h["config"]: h for h in hw}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    points = []
    for config in dict.fromkeys(r["config"] for r in rows):
        acc = 100 * np.array([r["quantized"] for r in rows if r["config"] == config])
        h = by_hw.get(config, {})
        measured = "lut_yosys" in h
        est = next(r for r in rows if r["config"] == config)["estimate_lut"]["by_macs"]
        lut = h["lut_yosys"] if measured else est
        err = acc.std(ddof=1) if len(acc) > 1 else 0
        ax.errorbar(lut, acc.mean(), yerr=err, fmt="o", mfc=None if measured else "none", capsize=3)
        seeds = f"{len(acc)} seed{'s' if len(acc) > 1 else ''}"
        ax.annotate(f" {_label(config)} ({seeds})", (lut, acc.mean()), fontsize=7)
        points.append((lut, acc.mean()))
    if not tiny:
        ax.errorbar(TODAY_LUT, 100 * TODAY, yerr=100 * TODAY_STD, fmt="s", c="red", capsize=3)
        ax.annotate(" today: D24 (3 seeds)", (TODAY_LUT, 100 * TODAY), fontsize=7)
        points.append((TODAY_LUT, 100 * TODAY))
    front = [p for p in sorted(points) if not any(q[0] <= p[0] and q[1] > p[1] for q in points)]
    ax.plot(*zip(*front, strict=True), "-", c="gray", alpha=0.5, label="Pareto front")
    refs = sorted({100 * r["float_reference"] for r in rows if "float_reference" in r})
    if refs:
        ax.axhline(
            np.mean(refs), ls="--", c="gray", label=f"float reference (the teacher) {np.mean(refs):.2f} %"
        )
    ax.axhline(100 * TODAY, ls=":", c="red", label=f"today's design {100 * TODAY:.1f} %")
    ax.set_xlabel("LUT (filled: Yosys complete; hollow: estimate scaled by MACs)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(("TINY sample, 2 epochs: " if tiny else "") + "N=16 jet taggers, physics scale")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOT_TINY if tiny else PLOT, dpi=120)


if __name__ == "__main__":
    main()
