"""Benchmark: five ways to get a jet tagger's hardware outputs, on the same model and jets.

* Keras (HGQ2's quantized model, ``model.predict``),
* hls4ml's C++ emulation (the convert step's project, compiled, one ctypes call per sample),
* da4ml's DAIS interpreter (``CombLogic.predict``),
* Verilator (the rtl step's streaming simulation of the RTL, one sample per clock),
* hwcodesign's compiled emulator (``hwcodesign emulate``).

Each is timed on its own sample count (slow paths on fewer jets) and checked for identical
outputs against Verilator on the jets both ran. Usage:

    .venv/bin/python bench/emulate_speed.py runs/<name>          # any run with the rtl step
    .venv/bin/python bench/emulate_speed.py --particles 16        # trains the N=16 tagger first

Prints a table; JSON goes to bench/results/emulate_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _jet_runs import REPO, trained_jet_tagger


def trained_run(n: int, epochs: int) -> Path:
    """The jet tagger with N particles (``bench/_jet_runs.py``)."""
    return trained_jet_tagger(f"bench_emulate_n{n}", n, epochs, until="rtl").root


def timed(fn, *args) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    y = fn(*args)
    return np.asarray(y, dtype=np.float64).reshape(len(args[0]), -1), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", nargs="?", type=Path, help="a run folder with the rtl step")
    ap.add_argument("--particles", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--samples", type=int, default=1_000_000, help="jets for the fast paths")
    ap.add_argument("--slow-samples", type=int, default=2000, help="jets for hls4ml and the interpreter")
    args = ap.parse_args()

    from da4ml.types import CombLogic

    from hwcodesign.artifacts import (
        HLS_PROJECT,
        RTL_OUTPUTS,
        load_dataset,
        load_emulator,
        load_keras_model,
        load_rtl_project,
        locate,
    )
    from hwcodesign.backends.da4ml import stream_sim
    from hwcodesign.run import Run

    root = args.run or trained_run(args.particles, args.epochs)
    run = Run.open(root)
    x_test = load_dataset(run).x_test
    reps = -(-args.samples // len(x_test))
    x_big = np.concatenate([x_test] * reps)[: args.samples]
    x_slow = x_big[: args.slow_samples]
    with np.load(locate(run, RTL_OUTPUTS)) as f:
        rtl = f["rtl"].reshape(len(x_test), -1)
    rows: list[dict] = []

    def row(path: str, n: int, seconds: float, y: np.ndarray, prepare: str) -> None:
        ref = np.tile(rtl, (-(-len(y) // len(rtl)), 1))[: len(y)]  # the jets are the test set repeated
        same = int(np.all(y == ref, axis=1).sum())
        rows.append(
            {
                "path": path,
                "jets": n,
                "seconds": round(seconds, 3),
                "jets_per_s": round(n / max(seconds, 1e-9)),
                "bit_exact_vs_verilator": f"{same}/{len(y)}",
                "prepare": prepare,
            }
        )

    # 1. hwcodesign emulator
    t0 = time.perf_counter()
    emu = load_emulator(run)
    prep = f"{time.perf_counter() - t0:.1f} s ({'cached' if emu.cached else 'compiled'})"
    emu.predict(x_test)  # warm up threads
    y, dt = timed(emu.predict, x_big)
    row(f"hwcodesign emulator ({os.cpu_count()} threads)", len(x_big), dt, y, prep)
    y1, dt1 = timed(lambda x: emu.predict(x, threads=1), x_big)
    row("hwcodesign emulator (1 thread)", len(x_big), dt1, y1, prep)

    # 2. Keras (HGQ2)
    model = load_keras_model(run)
    model.predict(x_test[:10], verbose=0)
    y, dt = timed(lambda x: model.predict(x, batch_size=4096, verbose=0), x_big[:200_000])
    row("Keras / HGQ2 predict (batch 4096)", len(y), dt, y, "-")

    # 3. da4ml interpreter
    comb = CombLogic.load(str(load_rtl_project(run).comb_path))
    y, dt = timed(lambda x: comb.predict(x.reshape(len(x), -1)), x_slow)
    row("da4ml DAIS interpreter (CombLogic.predict)", len(y), dt, y, "-")

    # 4. hls4ml C++ emulation
    try:
        import hls4ml

        with tempfile.TemporaryDirectory() as tmp:
            import shutil

            project_dir = Path(tmp) / "project"
            shutil.copytree(locate(run, HLS_PROJECT), project_dir)
            config = project_dir / "hls4ml_config.yml"  # names the folder it was written in
            text = config.read_text().splitlines()
            config.write_text(
                "\n".join(f"OutputDir: {project_dir}" if t.startswith("OutputDir:") else t for t in text)
            )
            t0 = time.perf_counter()
            hls_model = hls4ml.converters.link_existing_project(str(Path(tmp) / "project"))
            hls_model.compile()
            prep = f"{time.perf_counter() - t0:.1f} s (g++)"
            y, dt = timed(lambda x: hls_model.predict(np.ascontiguousarray(x)), x_slow)
            row("hls4ml C++ emulation (predict)", len(y), dt, y, prep)
    except Exception as e:  # noqa: BLE001 - a bench row says why it is missing
        rows.append({"path": "hls4ml C++ emulation", "error": f"{type(e).__name__}: {e}"[:200]})

    # 5. Verilator (the rtl step's streaming simulation)
    project = load_rtl_project(run)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sim = stream_sim.simulate(project, x_test, rtl, Path(tmp), cache_dir=run.cache_dir("verilator"))
        prep = f"{sim.build.get('seconds', 0):.1f} s ({'cached' if sim.build.get('cached') else 'built'})"
        row("Verilator streaming RTL simulation", len(x_test), sim.sim_seconds, sim.outputs, prep)

    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"emulation speed: {run.config.name} ({emu.n_in} inputs, {len(comb.ops)} da4ml operations)"
    )
    for col in ("path", "jets", "jets/s", "bit-exact vs Verilator", "prepare"):
        table.add_column(col, justify="left" if col in ("path", "prepare") else "right")
    for r in rows:
        if "error" in r:
            table.add_row(r["path"], "-", "-", "-", r["error"])
        else:
            table.add_row(
                r["path"], f"{r['jets']:,}", f"{r['jets_per_s']:,}", r["bit_exact_vs_verilator"], r["prepare"]
            )
    Console(width=160).print(table)
    out = REPO / "bench" / "results" / "emulate_speed.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"run": str(root), "cpus": os.cpu_count(), "rows": rows}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
