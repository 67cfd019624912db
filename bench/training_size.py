"""Accuracy vs training-set size on the physics jets: is 63 % a data limit or a model limit?

Trains float models on growing stratified subsets of the training split of
``configs/jet_tagger_physics.yaml`` (40,000 jets per class: 140k train / 20k val / 40k test)
and evaluates every one on the same 40,000 test jets. Models: the hardware transformer's
float twin, the JEDI-linear-style model's float twin and the wide float reference
(``hwcodesign/models/reference.py``). Results are kept per (model, size) in
``bench/results/training_size.json``, so an interrupted run resumes.

    .venv/bin/python bench/training_size.py [--sizes 2800 14000 70000 140000] [--models ...]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "training_size.json"
MODELS = ("transformer", "linear", "reference")
#: Samples every fit should see at least (small sets get more epochs), and the epoch bounds.
SAMPLES_SEEN = 840_000
EPOCHS = (15, 200)


def physics_dataset():
    """The physics config's data step output (runs the data step if needed)."""
    from hwcodesign.artifacts import load_dataset
    from hwcodesign.config import load_config
    from hwcodesign.flows import run_flow

    cfg = load_config(REPO / "configs" / "jet_tagger_physics.yaml", {"runs_dir": str(REPO / "runs")})
    run = run_flow(cfg, until="data")
    return cfg, load_dataset(run)


def subset(ds, size: int, seed: int = 0):
    """The first ``size`` training jets of a fixed class-balanced shuffle (nested subsets)."""
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    classes = np.unique(ds.y_train)
    per_class = [rng.permutation(np.flatnonzero(ds.y_train == c)) for c in classes]
    take = np.sort(np.concatenate([idx[: size // len(classes)] for idx in per_class]))
    return replace(ds, x_train=ds.x_train[take], y_train=ds.y_train[take])


def build(kind: str, cfg, n: int, f: int, c: int, seed: int):
    from hwcodesign.config import load_config
    from hwcodesign.models.jet_linear.builder import build_jet_linear
    from hwcodesign.models.jet_transformer.builder import build_jet_transformer
    from hwcodesign.models.jets import build_float_reference

    if kind == "transformer":
        return build_jet_transformer(n, f, c, cfg.model, None, seed=seed)
    if kind == "linear":
        lin = load_config(REPO / "configs" / "jet_linear_physics.yaml", {"runs_dir": str(REPO / "runs")})
        return build_jet_linear(n, f, c, lin.model, None, seed=seed)
    return build_float_reference(n, f, c, seed=seed)


def fit_one(kind: str, size: int, cfg, ds, seed: int) -> dict:
    from hwcodesign.train.keras_qat import fit_keras

    part = subset(ds, size)
    epochs = int(np.clip(round(SAMPLES_SEEN / len(part.y_train)), *EPOCHS))
    train = cfg.train.model_copy(
        update={
            "epochs": epochs,
            "patience": max(6, epochs // 5),
            "seed": seed,
            "learning_rate": 1e-3 if kind == "reference" else cfg.train.learning_rate,
        }
    )
    model = build(kind, cfg, *ds.x_train.shape[1:], len(ds.classes), seed)
    t0 = time.perf_counter()
    hist = fit_keras(model, part, train)
    seconds = time.perf_counter() - t0
    pred = model.predict(ds.x_test, batch_size=2048, verbose=0).argmax(1)
    return {
        "model": kind,
        "train_jets": len(part.y_train),
        "test_jets": len(ds.y_test),
        "accuracy": float((pred == ds.y_test).mean()),
        "params": int(model.count_params()),
        "epochs_run": len(hist["loss"]),
        "epochs_max": epochs,
        "seconds": round(seconds, 1),
        "seed": seed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2800, 14000, 70000, 140000])
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from hwcodesign.frameworks import import_keras

    import_keras()
    cfg, ds = physics_dataset()
    done = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    for kind in args.models:
        for size in args.sizes:
            if any(r["model"] == kind and r["train_jets"] == size and r["seed"] == args.seed for r in done):
                continue
            print(f"training {kind} on {size} jets ...", flush=True)
            done.append(fit_one(kind, size, cfg, ds, args.seed))
            RESULTS.parent.mkdir(exist_ok=True)
            RESULTS.write_text(json.dumps(done, indent=2))
            print(json.dumps(done[-1]), flush=True)
    print_table(done)


def print_table(rows: list[dict]) -> None:
    sizes = sorted({r["train_jets"] for r in rows})
    print("\n| model (float) | params | " + " | ".join(f"{s:,} train jets" for s in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    for kind in MODELS:
        mine = {r["train_jets"]: r for r in rows if r["model"] == kind}
        if not mine:
            continue
        params = next(iter(mine.values()))["params"]
        cells = [f"{100 * mine[s]['accuracy']:.2f} %" if s in mine else "" for s in sizes]
        print(f"| {kind} | {params:,} | " + " | ".join(cells) + " |")
    print(f"\ntest set: {rows[0]['test_jets']:,} jets (the same for every cell)")


if __name__ == "__main__":
    main()
