"""The physics configs over several training seeds: float twin, quantized model and their gap
on the 40,000 held-out test jets, as mean and spread (sample standard deviation).

Every seed is a real run of the flow up to the train step, on the same jets and the same
split (``data.seed`` stays fixed), so the spread is that of training: ``runs/<config name>``
when it exists and has the config's own ``train.seed``, else ``runs/<config name>_seed<k>``
(without the float reference, which needs training only once); finished steps are reused.

    .venv/bin/python bench/physics_seeds.py [--configs jet_tagger_physics jet_linear_physics] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "physics_seeds.json"


def run_seed(config: str, seed: int) -> dict:
    from hwcodesign.artifacts import load_train_summary
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow
    from hwcodesign.run import Run

    path = REPO / "configs" / f"{config}.yaml"
    base = load_config(path, {"runs_dir": str(REPO / "runs")})
    overrides = {"runs_dir": str(REPO / "runs"), "train.seed": seed}
    main = Run(base)
    if seed != base.train.seed or main.record("train") is None:
        overrides |= {"name": f"{base.name}_seed{seed}", "train.float_reference": False}
    run = run_flow(load_config(path, overrides), until="train")
    summary = load_train_summary(run)
    row = {"config": config, "seed": seed, "run": str(run.root.relative_to(REPO))}
    for form in ("float_reference", "float", "quantized"):
        if form in summary:
            row[form] = summary[form]["accuracy"]
    row["ebops"] = summary["quantized"].get("ebops")
    row["test_jets"] = int(np.sum(summary["quantized"]["confusion"]))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["jet_tagger_physics", "jet_linear_physics"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    rows = []
    for config in args.configs:
        for seed in args.seeds:
            print(f"{config} seed {seed} ...", flush=True)
            rows.append(run_seed(config, seed))
            print(json.dumps(rows[-1]), flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    mine = {(r["config"], r["seed"]) for r in rows}
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    rows = [r for r in old if (r["config"], r["seed"]) not in mine] + rows
    RESULTS.write_text(json.dumps(rows, indent=2))
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    print("\n| model | seeds | float twin | quantized | gap (float - quantized) | float reference |")
    print("|---|---|---|---|---|---|")
    for config in dict.fromkeys(r["config"] for r in rows):
        mine = [r for r in rows if r["config"] == config]
        f = 100 * np.array([r["float"] for r in mine])
        q = 100 * np.array([r["quantized"] for r in mine])
        ref = [100 * r["float_reference"] for r in mine if "float_reference" in r]

        def ms(a: np.ndarray) -> str:
            return f"{a.mean():.2f} ± {a.std(ddof=1):.2f} %" if len(a) > 1 else f"{a.mean():.2f} %"

        seeds = ", ".join(str(r["seed"]) for r in mine)
        refs = ", ".join(f"{v:.2f} %" for v in ref) or "-"
        print(f"| {config} | {seeds} | {ms(f)} | {ms(q)} | {ms(f - q)} | {refs} |")


if __name__ == "__main__":
    main()
