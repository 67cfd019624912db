"""Accuracy with the integer kernels in the loop (issue: kernels item 4): the Fashion-MNIST ViT
as it was (float softmax/LayerNorm, ReLU, W4A4 float scales), integer-only W4A4 and W8A8
(I-LayerNorm with affine, Shiftmax, ShiftGELU, integer adds, power-of-two scales), each over
several training seeds on the 10,000 test images, with the float twins of both architectures.

Every number is a run of the flow up to its model step (``runs/<name>_seed<k>``; finished runs
are reused), so ``hwcodesign show`` / the run folders hold the details.

    .venv/bin/python bench/vit_kernels.py [--seeds 1 2 3] [--epochs 10] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "vit_kernels.json"

#: name -> (config file, overrides, also train the float twin)
VARIANTS = {
    "today_w4a4": ("vit_fashion_mnist", {}, True),
    "int_w4a4": ("vit_fashion_mnist_int", {}, True),
    "int_w8a8": ("vit_fashion_mnist_int", {"quantization.weight_bits": 8, "quantization.act_bits": 8}, False),
}


def run_variant(name: str, seed: int, epochs: int, batch_size: int) -> dict:
    from hwcodesign.api import make_config
    from hwcodesign.artifacts import load_train_summary
    from hwcodesign.flows import run_flow

    config, overrides, with_float = VARIANTS[name]
    cfg = make_config(
        config=REPO / "configs" / f"{config}.yaml",
        name=f"bench_{name}_seed{seed}",
        runs_dir=REPO / "runs",
        overrides={
            **overrides,
            "train.seed": seed,
            "train.epochs": epochs,
            "train.batch_size": batch_size,
            "train.patience": epochs,
            "train.train_float": with_float,
        },
    )
    run = run_flow(cfg, until=_model_step(cfg.flow))
    summary = load_train_summary(run)
    row = {"variant": name, "seed": seed, "run": str(run.root.relative_to(REPO)), "epochs": epochs}
    row["batch_size"] = batch_size
    for form in ("float", "quantized"):
        if form in summary:
            row[form] = summary[form]["accuracy"]
    row["test_images"] = int(np.sum(summary["quantized"]["confusion"]))
    return row


def _model_step(flow: str) -> str:
    from hwcodesign.flows import model_step

    return model_step(flow).name


def table(rows: list[dict]) -> str:
    """Mean ± sample std over seeds; each quantized model against the float twin of its own
    architecture (the integer-only variants share the integer architecture's twin, same seed)."""

    def stat(values: list[float]) -> str:
        v = 100 * np.asarray(values)
        return f"{v.mean():.2f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.2f} %"

    twin = {(r["variant"], r["seed"]): r["float"] for r in rows if "float" in r}
    lines = [
        "| variant | seeds | float twin (same architecture) | quantized | gap |",
        "|---|---|---|---|---|",
    ]
    for name in VARIANTS:
        mine = sorted((r for r in rows if r["variant"] == name), key=lambda r: r["seed"])
        if not mine:
            continue
        ref_variant = name if name.startswith("today") else "int_w4a4"
        pairs = [
            (twin[(ref_variant, r["seed"])], r["quantized"]) for r in mine if (ref_variant, r["seed"]) in twin
        ]
        floats = [f for f, _ in pairs]
        lines.append(
            f"| {name} | {', '.join(str(r['seed']) for r in mine)} | {stat(floats) if floats else '-'} | "
            f"{stat([r['quantized'] for r in mine])} | {stat([f - q for f, q in pairs]) if pairs else '-'} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = ap.parse_args()
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    rows = [
        r for r in old if (r["variant"], r["seed"]) not in {(v, s) for v in args.variants for s in args.seeds}
    ]
    for seed in args.seeds:
        for name in args.variants:
            print(f"{name} seed {seed} ...", flush=True)
            rows.append(run_variant(name, seed, args.epochs, args.batch_size))
            print(json.dumps(rows[-1]), flush=True)
            RESULTS.parent.mkdir(exist_ok=True)
            RESULTS.write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
