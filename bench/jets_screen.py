"""Float screen of JEDI-linear-style architectures at physics scale (issue 19, item 4): which width,
exchanges and pooling are worth a quantization-aware run? Each candidate is the family's own float
model (``build_jet_linear(..., quant=None)``), trained with the flow's settings (Adam, cosine decay,
30 epochs, early stopping) and distilled from the cached teacher; a run takes 1.5-3 min of one core,
against 10-25 min for the HGQ2 model, so the screen picks the configs that ``bench/jets_accuracy.py``
then trains quantized on 3 seeds.

Data and teacher logits come from a finished distilled run of the flow (same jets, same split, the
wide float reference as teacher), so the screen needs one such run first:

    .venv/bin/python bench/jets_screen.py --run runs/jet_linear_physics_d32_distill            # all
    .venv/bin/python bench/jets_screen.py --run runs/... --candidates d32_u2_x1_am --seeds 1 2
    .venv/bin/python bench/jets_screen.py --report                                              # table
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "jets_screen.json"


def _candidate(d: int, updates: int, exchanges: int, pools: str) -> dict:
    """pools: two letters, aggregate then final pooling, ``a`` = mean, ``m`` = max."""
    name = {"a": "average", "m": "max"}
    return {
        "hidden_dim": d,
        "head_dim": d,
        "head_layers": 2,
        "num_updates": updates,
        "num_exchanges": exchanges,
        "aggregate": name[pools[0]],
        "pooling": name[pools[1]],
    }


#: name -> jet_linear model section; dD_uU_xX_PP: width, updates, exchanges, aggregate + pooling
CANDIDATES = {
    f"d{d}_u{u}_x{x}_{p}": _candidate(d, u, x, p)
    for d, u, x, p in [
        (32, 2, 1, "aa"),  # jet_linear_physics_d32_distill
        (32, 1, 2, "aa"),
        (32, 2, 2, "aa"),
        (32, 2, 1, "am"),  # jet_linear_physics_d32_max_distill
        (32, 2, 1, "mm"),
        (32, 2, 1, "ma"),
        (32, 1, 2, "mm"),
        (32, 2, 2, "am"),
        (32, 3, 1, "am"),
        (40, 2, 1, "am"),
        (48, 1, 1, "aa"),  # the D=48 config tried on paper before the screen
        (48, 2, 1, "aa"),
        (48, 2, 1, "am"),  # jet_linear_physics_d48_max_distill
        (48, 2, 2, "am"),
    ]
}


def screen(run_dir: Path, name: str, seed: int, epochs: int) -> dict:
    """Train one float candidate with distillation; its test accuracy and cost."""
    import keras

    from hwcodesign.frameworks import import_keras
    from hwcodesign.models.jet_linear.builder import build_jet_linear
    from hwcodesign.models.jet_linear.config import JetLinearConfig
    from hwcodesign.train.distill import keras_distill_loss, keras_label_accuracy, pack_targets

    import_keras()
    data = np.load(run_dir / "data" / "dataset.npz")
    teacher = np.load(run_dir / "model" / "teacher.npz")
    cfg = JetLinearConfig(**CANDIDATES[name])
    n, f = data["x_train"].shape[1:]
    model = build_jet_linear(n, f, teacher["test"].shape[1], cfg, None, seed=seed)
    steps = int(np.ceil(len(data["y_train"]) / 512)) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(0.003, steps, alpha=0.05)
    model.compile(
        keras.optimizers.Adam(schedule), keras_distill_loss(4.0, 0.5), metrics=[keras_label_accuracy()]
    )
    t0 = time.time()
    model.fit(
        data["x_train"],
        pack_targets(data["y_train"], teacher["train"]),
        validation_data=(data["x_val"], pack_targets(data["y_val"], teacher["val"])),
        epochs=epochs,
        batch_size=512,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=8, restore_best_weights=True, mode="max"
            )
        ],
    )
    pred = model.predict(data["x_test"], batch_size=4096, verbose=0).argmax(1)
    return {
        "candidate": name,
        "seed": seed,
        "float_accuracy": float(np.mean(pred == data["y_test"])),
        "teacher_accuracy": float(np.mean(teacher["test"].argmax(1) == data["y_test"])),
        "params": int(model.count_params()),
        "test_jets": len(pred),
        "seconds": round(time.time() - t0, 1),
        "run": run_dir.name,
    }


def save(rows: list[dict]) -> None:
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    new = {(r["candidate"], r["seed"]) for r in rows}
    kept = [r for r in old if (r["candidate"], r["seed"]) not in new]
    RESULTS.write_text(json.dumps(kept + rows, indent=2))


def print_table(rows: list[dict]) -> None:
    teacher = sorted({r["teacher_accuracy"] for r in rows})
    print(f"\nteacher (wide float reference): {', '.join(f'{100 * t:.2f} %' for t in teacher)}")
    print("| candidate | D | updates | exchanges | aggregate | pooling | params | float, distilled (seeds) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted({r["candidate"] for r in rows}, key=lambda c: -np.mean(_accs(rows, c))):
        c, accs = CANDIDATES[name], _accs(rows, name)
        per_seed = ", ".join(f"{100 * a:.2f}" for a in accs)
        params = next(r["params"] for r in rows if r["candidate"] == name)
        print(
            f"| {name} | {c['hidden_dim']} | {c['num_updates']} | {c['num_exchanges']} | {c['aggregate']} "
            f"| {c['pooling']} | {params:,} | {100 * np.mean(accs):.2f} % ({per_seed}) |"
        )


def _accs(rows: list[dict], name: str) -> list[float]:
    return [r["float_accuracy"] for r in sorted(rows, key=lambda r: r["seed"]) if r["candidate"] == name]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, help="a finished distilled run of the flow (data + teacher)")
    ap.add_argument("--candidates", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--report", action="store_true", help="no runs: the table of the saved results")
    args = ap.parse_args()
    if args.report:
        if not RESULTS.is_file():
            raise SystemExit(f"--report: no saved results in {RESULTS}; run the bench first")
        print_table(json.loads(RESULTS.read_text()))
        return
    if args.run is None or not (args.run / "model" / "teacher.npz").is_file():
        raise SystemExit("--run: give a finished run of a distilled config (it holds model/teacher.npz)")
    rows = []
    for name in args.candidates:
        for seed in args.seeds:
            rows.append(screen(args.run, name, seed, args.epochs))
            print(json.dumps(rows[-1]), flush=True)
            save(rows[-1:])  # each row as it comes: the screen can be stopped and resumed
    print_table(json.loads(RESULTS.read_text()))


if __name__ == "__main__":
    main()
