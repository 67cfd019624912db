"""The tiny ViT below 8 bits (issue 19, item 5): W4A4, W3A3 and W2A2, each as plain QAT and with
distillation, Teacher Intervention, mixed precision per layer and the clipped softmax, over
several training seeds, beside the float twin; one table.

Every point is a real run of the PyTorch flow up to ``train_torch`` (``runs/vit_lowbit_<data>_w<b>_
<method>_s<seed>``): a finished run is reused, so the script resumes where it stopped. The float
twin of each seed is the distillation teacher (``teacher_seed`` = the seed), trained once and
shared through the teacher cache by the distillation and Teacher Intervention runs of every bit
width; plain and clipped runs do not train a float twin again.

    .venv/bin/python bench/vit_lowbit.py --epochs 15                  # Fashion-MNIST, 3 seeds (hours)
    .venv/bin/python bench/vit_lowbit.py --data digits --epochs 2 --seeds 1 --bits 4 2   # sanity check
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "vit_lowbit.json"
BASE = {"fashion_mnist": "vit_fashion_mnist.yaml", "digits": "vit_digits_tiny.yaml"}
METHODS = ("plain", "distill", "ti", "mixed", "clip")


def method_overrides(method: str, seed: int, epochs: int) -> dict[str, Any]:
    """Config overrides of one method (on top of the base config and the bit width)."""
    teacher = {"teacher": "float_twin", "teacher_seed": seed, "temperature": 4.0, "weight": 0.5}
    if method == "plain":
        return {"train.train_float": False}
    if method == "distill":
        return {"train.distill": teacher}
    if method == "ti":
        return {"train.distill": {**teacher, "intervention_epochs": max(1, epochs // 5)}}
    if method == "mixed":  # the BOPs of uniform W<b>A<b>, spent where the sensitivity is
        return {"quantization.mixed_precision": {"weight_bits": [2, 3, 4, 6, 8], "budget_relative": 1.0}}
    if method == "clip":  # gamma = -alpha / T with alpha 1.6 for T = 16 tokens (Bondarenko et al.)
        return {"train.train_float": False, "model.attention": {"softmax_clip": {"gamma": -0.1, "zeta": 1.0}}}
    raise ValueError(f"unknown method {method}; known: {', '.join(METHODS)}")


def run_point(data: str, bits: int, method: str, seed: int, args: argparse.Namespace) -> dict:
    from hwcodesign.artifacts import load_train_summary
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow

    name = f"vit_lowbit_{data}_w{bits}_{method}_s{seed}"
    overrides = {
        "name": name,
        "runs_dir": str(REPO / "runs"),
        "train.seed": seed,
        "train.epochs": args.epochs,
        "train.patience": args.epochs,
        "quantization.weight_bits": bits,
        "quantization.act_bits": bits,
        **method_overrides(method, seed, args.epochs),
    }
    if args.train_limit:
        overrides["data.train_limit"] = args.train_limit
    run = run_flow(load_config(REPO / "configs" / BASE[data], overrides), until="train_torch")
    s = load_train_summary(run)
    row = {"data": data, "bits": bits, "method": method, "seed": seed, "run": name}
    row["quantized"] = s["quantized"]["accuracy"]
    if "float" in s:
        row["float"] = s["float"]["accuracy"]
    model = run.root / "model"
    if (model / "teacher.json").is_file():
        row["teacher"] = json.loads((model / "teacher.json").read_text())["accuracy"]
    if (model / "layer_bits.json").is_file():
        alloc = json.loads((model / "layer_bits.json").read_text())
        row |= {"layer_bits": alloc["bits"], "bops": alloc["bops"], "uniform_bops": alloc["uniform_bops"]}
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=sorted(BASE), default="fashion_mnist")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--bits", type=int, nargs="+", default=[4, 3, 2])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--train-limit", type=int, default=None, help="use only this many training images")
    args = ap.parse_args()
    rows = []
    for seed in args.seeds:
        for bits in args.bits:
            # distillation first: it trains (and caches) the seed's float twin the others reuse
            for method in sorted(args.methods, key=lambda m: m not in ("distill", "ti")):
                if method == "mixed" and bits <= 2:  # 2 is the narrowest candidate: nothing to move
                    continue
                print(f"W{bits}A{bits} {method} seed {seed} ...", flush=True)
                rows.append(run_point(args.data, bits, method, seed, args))
                print(json.dumps({k: v for k, v in rows[-1].items() if k != "layer_bits"}), flush=True)
    save(rows)
    print_table(rows)


def save(rows: list[dict]) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    key = lambda r: (r["data"], r["bits"], r["method"], r["seed"])  # noqa: E731
    mine = {key(r) for r in rows}
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    RESULTS.write_text(json.dumps([r for r in old if key(r) not in mine] + rows, indent=2))


def _ms(values: list[float]) -> str:
    a = 100 * np.array(values)
    return f"{a.mean():.2f} ± {a.std(ddof=1):.2f}" if len(a) > 1 else f"{a.mean():.2f}"


def print_table(rows: list[dict]) -> None:
    """One row per bit width and method: quantized accuracy, float twin, gap (mean ± std over seeds)."""
    for data in dict.fromkeys(r["data"] for r in rows):
        mine = [r for r in rows if r["data"] == data]
        floats = {
            r["seed"]: r.get("teacher", r.get("float")) for r in mine if r.get("teacher", r.get("float"))
        }
        print(f"\n{data}: float twin {_ms(list(floats.values()))} % (seeds {sorted(floats)})")
        print("| bits | method | seeds | quantized (%) | float - quantized (points) | BOPs vs uniform |")
        print("|---|---|---|---|---|---|")
        for bits in sorted({r["bits"] for r in mine}, reverse=True):
            for method in METHODS:
                pts = [r for r in mine if r["bits"] == bits and r["method"] == method]
                if not pts:
                    continue
                gap = [floats[r["seed"]] - r["quantized"] for r in pts if r["seed"] in floats]
                bops = [r["bops"] / r["uniform_bops"] for r in pts if "bops" in r]
                rel = f"{np.mean(bops):.3f}" if bops else "1"
                seeds = ", ".join(str(r["seed"]) for r in pts)
                gaps, acc = _ms(gap) if gap else "-", _ms([r["quantized"] for r in pts])
                print(f"| W{bits}A{bits} | {method} | {seeds} | {acc} | {gaps} | {rel} |")
        for r in mine:
            if r["method"] == "mixed" and r["seed"] == min(p["seed"] for p in mine):
                print(f"\nW{r['bits']}A{r['bits']} mixed precision, seed {r['seed']}: {r['layer_bits']}")


if __name__ == "__main__":
    main()
