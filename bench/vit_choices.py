"""Benchmark: what each hardware-driven ViT formulation choice costs in accuracy, and
whether finn-plus maps the result.

Variants of configs/vit_fashion_mnist.yaml, each changing one choice back to the common
software default: LayerNorm with affine parameters, GELU in the MLP, mean pooling over
tokens, power-of-two scales. For each: float and W4A4 test accuracy on Fashion-MNIST
(10k images) and the layers finn-plus leaves unmapped (checked on the tiny digits ViT with
the same choice, through the flow's finn step).

    .venv/bin/python bench/vit_choices.py [--epochs 8] [--skip-mapping]

Prints a table; JSON goes to bench/results/vit_choices.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

VARIANTS = {
    "hardware formulation (default)": {},
    "LayerNorm with affine": {"model.norm_affine": True},
    "GELU in the MLP": {"model.mlp_activation": "gelu"},
    "mean pooling over tokens": {"model.pooling": "mean"},
    "power-of-two scales": {"quantization.scaling": "po2"},
}


def _run(config: str, name: str, overrides: dict, until: str):
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow

    cfg = load_config(REPO / "configs" / config, {"name": name, "runs_dir": str(REPO / "runs"), **overrides})
    return run_flow(cfg, until=until, overwrite=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--skip-mapping", action="store_true")
    args = ap.parse_args()
    rows = {}
    for i, (label, change) in enumerate(VARIANTS.items()):
        acc = _run(
            "vit_fashion_mnist.yaml",
            f"bench_vit_choice{i}",
            {**change, "train.epochs": args.epochs, "train.patience": args.epochs},
            "train_torch",
        )
        train = acc.record("train_torch").metrics
        row = {"float": train["accuracy_float"].value, "w4a4": train["accuracy_quantized"].value}
        if not args.skip_mapping:
            tiny = _run("vit_digits_tiny.yaml", f"bench_vit_choice{i}_tiny", change, "finn")
            layers = json.loads((tiny.root / "finn" / "layers.json").read_text())
            row["unmapped"] = sorted({r["op"] for r in layers if r["implementation"].startswith("unmapped")})
            row["one_dataflow_partition"] = not any(r["implementation"] == "HW layer" for r in layers)
        rows[label] = row
    print(f"\n{'choice':34s} {'float':>8s} {'W4A4':>8s}  finn-plus leaves unmapped")
    for label, r in rows.items():
        unmapped = ", ".join(r.get("unmapped", ["-"]))
        if not r.get("one_dataflow_partition", True):
            unmapped += " (inside the graph: no accelerator built)"
        print(f"{label:34s} {100 * r['float']:7.2f}% {100 * r['w4a4']:7.2f}%  {unmapped}")
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "vit_choices.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
