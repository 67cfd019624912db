"""Benchmark: time from a trained jet tagger to bit-exact RTL latency + resource numbers.

For each particle count N it trains (or reuses) the jet tagger with the flow up to
``convert``, then times, on the same trained model and in the same process:

* the optimised path used by the ``rtl``/``synth`` steps: da4ml trace + Verilog, operator
  flattening, Verilator build (-O0, split C++), streaming simulation of the test set,
  da4ml's cost model (computed by the trace), and Yosys per pipeline stage in parallel (within a budget). Cold
  (empty caches) and warm (content-hash caches filled);
* the straightforward path: da4ml ``RTLModel.write()`` + ``compile()`` (its own Verilator
  makefile) + ``predict()``, and Yosys ``synth_xilinx`` of the whole flattened design.

    .venv/bin/python bench/rtl_speed.py [--particles 8 16] [--epochs 20]
        [--yosys-budget 600] [--straight-timeout 1800]

Prints one table per N and a summary; JSON results go to bench/results/rtl_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _jet_runs import REPO, trained_jet_tagger


def trained_run(n: int, epochs: int):
    """The jet tagger with N particles (``bench/_jet_runs.py``)."""
    return trained_jet_tagger(f"bench_rtl_n{n}", n, epochs, until="convert", overwrite=True)


def optimised(run, work: Path, yosys_budget: float) -> dict:
    """The rtl/synth steps' own backend functions, timed part by part."""
    from hwcodesign.artifacts import load_dataset, load_emulation, load_keras_model
    from hwcodesign.backends.da4ml import stream_sim
    from hwcodesign.backends.da4ml.project import write_rtl
    from hwcodesign.backends.da4ml.synth import register_bits, synth_stages
    from hwcodesign.targets import yosys_family
    from hwcodesign.tools import verilator
    from hwcodesign.train.metrics import identical_fraction

    t: dict = {}
    cfg = run.config.target
    model = load_keras_model(run)
    emu = load_emulation(run)
    x = load_dataset(run).x_test

    t0 = time.perf_counter()
    project, _ = write_rtl(model, work / "da4ml", cfg.rtl.latency_cutoff, cfg.clock_ns, cfg.part)
    t["da4ml trace + write"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sources = stream_sim.sim_sources(project, work / "flat", flatten=True)
    t["flatten operators"] = time.perf_counter() - t0
    design = stream_sim.design_of(project, sources)
    results = {}
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        stream_sim.build_stream_sim(
            design, work / f"sim_{label}", verilator.BuildOptions(), cache_dir=work / "vcache"
        )
        results[label] = time.perf_counter() - t0
    t["verilator build (cold)"], t["verilator build (warm, cached)"] = results["cold"], results["warm"]

    t0 = time.perf_counter()
    sim = stream_sim.simulate(project, x, emu.hls, work / "sim_run", cache_dir=work / "vcache")
    t["simulate test set + latency"] = time.perf_counter() - t0

    yres = {}
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        ys = synth_stages(
            project, yosys_family(cfg.part), work / f"yosys_{label}", yosys_budget, cache_dir=work / "ycache"
        )
        yres[label] = (time.perf_counter() - t0, ys)
    t["yosys per stage (cold)"], t["yosys per stage (warm)"] = yres["cold"][0], yres["warm"][0]
    ys = yres["cold"][1]
    return {
        "times": t,
        "latency_cycles": sim.latency.latency_cycles,
        "stages": project.stages,
        "bit_exact_vs_hls4ml": identical_fraction(sim.outputs, emu.hls)[0],
        "samples": len(x),
        "sim_samples_per_s": len(x) / max(sim.sim_seconds, 1e-9),
        "da4ml_lut": float(project.metadata()["cost"]),
        "reg_bits": register_bits((project.src / "model.v").read_text()),
        "yosys_lut": ys.counts.get("LUT", 0) if ys.complete else None,
        "yosys_complete": ys.complete,
        "yosys_stages_done": f"{ys.done}/{ys.total}",
        "total_latency_and_da4ml_resources_cold": sum(
            t[k]
            for k in (
                "da4ml trace + write",
                "flatten operators",
                "verilator build (cold)",
                "simulate test set + latency",
            )
        ),
    }


def straightforward(run, work: Path, timeout_s: float) -> dict:
    """da4ml's own write/compile/predict and a flat Yosys synthesis of the whole design."""
    from da4ml.codegen import RTLModel
    from da4ml.converter import trace_model
    from da4ml.trace import comb_trace

    from hwcodesign.artifacts import load_dataset, load_emulation, load_keras_model
    from hwcodesign.targets import yosys_family
    from hwcodesign.tools import verilator, yosys
    from hwcodesign.train.metrics import identical_fraction

    cfg = run.config.target
    t: dict = {}
    model = load_keras_model(run)
    emu = load_emulation(run)
    emu = {"hls": emu.hls}
    x = load_dataset(run).x_test
    t0 = time.perf_counter()
    inp, out = trace_model(model)
    rtl = RTLModel(
        comb_trace(inp, out),
        "model",
        work / "da4ml",
        latency_cutoff=cfg.rtl.latency_cutoff,
        part_name=cfg.part,
        clock_period=cfg.clock_ns,
        print_latency=False,
    )
    rtl.write()
    t["da4ml trace + write"] = time.perf_counter() - t0

    # da4ml's own build (its build_binder.mk; variables through the environment as da4ml's
    # RTLModel.compile passes them: on make's command line they would leak into Verilator's
    # sub-make and break its file names)
    env = verilator.environment()
    env.update(
        VERILATOR_FLAGS="-Wall -MAKEFLAGS CFG_CXXFLAGS_PCH_I=-include",
        VM_PREFIX="model_wrapper",
        STAMP="bench",
        N_JOBS=str(os.cpu_count()),
        EXTRA_CXXFLAGS="-fopenmp",
    )
    exact = None
    t0 = time.perf_counter()
    try:
        subprocess.run(
            ["make", "-f", "build_binder.mk"],
            cwd=work / "da4ml" / "sim",
            env=env,
            check=True,
            capture_output=True,
            timeout=timeout_s,
        )
        t["verilator build (da4ml makefile)"] = time.perf_counter() - t0
        rtl._load_lib("bench")
        t0 = time.perf_counter()
        y = rtl.predict(x)
        t["da4ml predict (Verilator)"] = time.perf_counter() - t0
        exact = identical_fraction(y.reshape(emu["hls"].shape), emu["hls"])[0]
    except subprocess.TimeoutExpired:
        t["verilator build (da4ml makefile)"] = None  # cut by the timeout
    except subprocess.CalledProcessError as e:
        raise RuntimeError(
            f"da4ml's build failed:\n{e.stdout.decode()[-2000:]}\n{e.stderr.decode()[-2000:]}"
        ) from e

    src = work / "da4ml" / "src"
    t0 = time.perf_counter()
    res = yosys.synth_xilinx(
        [*sorted(src.glob("*.v")), *sorted((src / "static").glob("*.v"))],
        "model",
        yosys_family(cfg.part),
        work / "yosys_flat",
        timeout_s,
        memory_dir=src / "memfiles",
    )
    t["yosys flat synth_xilinx"] = None if res.timed_out else time.perf_counter() - t0
    return {
        "times": t,
        "bit_exact_vs_hls4ml": exact,
        "yosys_lut": res.counts.get("LUT"),
        "timeout_s": timeout_s,
    }


def _fmt(v: float | None) -> str:
    """A step time; None is a step cut by its timeout."""
    return "     cut" if v is None else f"{v:8.1f}"


def _print_optimised(n: int, opt: dict) -> None:
    print(
        f"\n== N = {n} particles: {opt['stages']} pipeline stages, da4ml {opt['da4ml_lut']:,.0f} LUT est., "
        f"{opt['samples']} test jets =="
    )
    for k, v in opt["times"].items():
        print(f"  optimised    {k:34s} {_fmt(v)} s")
    print(
        f"  latency {opt['latency_cycles']} cycles; RTL bit-exact vs hls4ml on "
        f"{opt['bit_exact_vs_hls4ml']:.2%} of {opt['samples']}; "
        f"simulation {opt['sim_samples_per_s']:,.0f} samples/s"
    )
    print(
        f"  Yosys per stage: {opt['yosys_stages_done']} stages, LUT {opt['yosys_lut']:,} "
        f"(complete: {opt['yosys_complete']}); FF {opt['reg_bits']:,} register bits"
    )
    print(
        f"  TOTAL optimised, trained model -> bit-exact latency + da4ml resources (cold): "
        f"{opt['total_latency_and_da4ml_resources_cold']:.1f} s",
        flush=True,
    )


def _print_comparison(opt: dict, straight: dict, timeout_s: float) -> None:
    for k, v in straight["times"].items():
        print(f"  straightfwd  {k:34s} {_fmt(v)} s")
    exact = straight["bit_exact_vs_hls4ml"]
    print(
        f"  straightforward RTL bit-exact vs hls4ml: {'n/a' if exact is None else f'{exact:.2%}'}; "
        f"Yosys flat LUT: {straight['yosys_lut']}"
    )
    cut = [k for k, v in straight["times"].items() if v is None]
    slow = sum(timeout_s if v is None else v for v in straight["times"].values())
    fast = opt["total_latency_and_da4ml_resources_cold"]
    fast_yosys = fast + opt["times"]["yosys per stage (cold)"]
    bound = ">= " if cut else ""
    print(f"  TOTAL straightforward: {bound}{slow:.0f} s{' (cut: ' + ', '.join(cut) + ')' if cut else ''}")
    print(
        f"  SPEED-UP vs straightforward: {bound}{slow / fast:.1f}x (latency + da4ml resources), "
        f"{bound}{slow / fast_yosys:.1f}x (latency + Yosys per stage)",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, nargs="+", default=[8, 16])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--yosys-budget", type=float, default=900)
    ap.add_argument("--straight-timeout", type=float, default=1800)
    ap.add_argument("--skip-straightforward", action="store_true")
    args = ap.parse_args()

    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    results: dict = {}
    for n in args.particles:
        run = trained_run(n, args.epochs)
        with tempfile.TemporaryDirectory() as tmp:
            opt = optimised(run, Path(tmp) / "opt", args.yosys_budget)
            results[n] = {"optimised": opt}
            _print_optimised(n, opt)
            if not args.skip_straightforward:
                straight = straightforward(run, Path(tmp) / "straight", args.straight_timeout)
                results[n]["straightforward"] = straight
                _print_comparison(opt, straight, args.straight_timeout)
        (out / "rtl_speed.json").write_text(json.dumps(results, indent=2, default=str, allow_nan=False))


if __name__ == "__main__":
    main()
