"""Command line: ``hwcodesign run|steps|report|show|emulate|deploy|sweep``. A thin layer over
the Python API (``api.py``): it parses arguments, calls the API and prints with rich (the only
module that talks to the terminal)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import Interrupted, UserError, interrupt_behind

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Quantization-aware transformers to FPGAs, with measured numbers.",
)
console = Console(stderr=True, soft_wrap=True)  # long paths stay on one line


def _parse_set(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise UserError(f"--set expects key=value, got '{item}'")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise UserError(
                f"--set {item}: the value is not valid YAML (quote it for a string: --set '{key}=\"...\"')"
            ) from None
    return out


@app.command()
def run(
    config: Annotated[Path | None, typer.Argument(help="Run config (YAML); or use --model/--data.")] = None,
    model: Annotated[
        Path | None, typer.Option(help="Your model: .keras, .h5, .json (+ _weights.h5) or .onnx.")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Your data: .npz or .h5 with x (and y).")] = None,
    part: Annotated[str | None, typer.Option(help="FPGA part, e.g. xcvu13p-flga2577-2-e.")] = None,
    clock_ns: Annotated[float | None, typer.Option(help="Clock period in ns.")] = None,
    name: Annotated[str | None, typer.Option(help="Run name (default: the model file's name).")] = None,
    runs_dir: Annotated[Path | None, typer.Option(help="Parent folder of run folders.")] = None,
    until: Annotated[str | None, typer.Option(help="Stop after this step.")] = None,
    only: Annotated[str | None, typer.Option(help="Run only this step.")] = None,
    force: Annotated[bool, typer.Option(help="Re-run steps even if their inputs are unchanged.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a run folder made with another config.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Answer yes to questions.")] = False,
    set_: Annotated[list[str], typer.Option("--set", help="Override a key: --set train.epochs=5")] = [],  # noqa: B006
) -> None:
    """Run a flow (or part of it) and write runs/<name>/report/.

    Either a config file, or the short form: --model my.keras --data my.npz --part ... --clock-ns 5
    """
    from .api import make_config

    if config is None and model is None:
        raise UserError(
            "give a run config (hwcodesign run my.yaml) or a model "
            "(hwcodesign run --model my.keras --data my.npz)"
        )
    overrides = _parse_set(set_)
    overrides |= {f"target.{k}": v for k, v in (("part", part), ("clock_ns", clock_ns)) if v is not None}
    cfg = make_config(model, data, config=config, name=name, runs_dir=runs_dir, overrides=overrides)
    _console_logging()
    from .api import run as run_api
    from .errors import RunExistsError

    with _progress(transient=True) as progress:
        printer = _StepPrinter(progress)

        def go(replace: bool):
            return run_api(
                config=cfg,
                until=until,
                only=only,
                force=force,
                overwrite=replace,
                progress=printer.on_event,
                on_progress=printer.on_progress,
            )

        try:
            try:
                handle = go(overwrite)
            except RunExistsError as e:
                progress.stop()
                if not (yes or (sys.stdin.isatty() and typer.confirm(f"{e}\nReplace it?"))):
                    raise
                handle = go(True)
        except (KeyboardInterrupt, Interrupted) as e:
            progress.stop()
            raise _interrupted(e, printer.current) from None
    report = handle.report_path()
    if report is not None:
        console.print(f"report: {report} and {report.with_name('index.html')}")


class _StepPrinter:
    """One line per step event, a bar per long loop inside a step."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.tasks, self.current = progress, {}, None

    def on_progress(self, what: str, done: int, total: int) -> None:
        if what not in self.tasks:
            self.tasks[what] = self.progress.add_task(what, total=total)
        self.progress.update(self.tasks[what], completed=done, total=total)

    def on_event(self, e) -> None:
        if e.state == "start":
            self.current = e.step
            console.print(f"[bold]▶ {e.step}[/]")
        elif e.state == "cached":
            console.print(f"[dim]✓ {e.step} (unchanged, cached)[/]")
        elif e.state == "damaged":
            console.print(f"[yellow]! {e.message}[/]")
        elif e.state == "done" and e.record:
            self.current = None
            console.print(f"[green]✓ {e.step}[/] {e.record.seconds:.1f} s  {_brief(e.record)}")
            if e.record.message:
                console.print(f"  [yellow]{e.record.message}[/]", highlight=False)
        elif e.state == "failed" and not isinstance(e.error, KeyboardInterrupt | Interrupted):
            console.print(f"[red]✗ {e.step} failed[/]")


def _interrupted(e: BaseException, step: str | None) -> typer.Exit:
    """One line saying what was interrupted; exit code 128 + signal (130 Ctrl-C, 143 SIGTERM)."""
    import signal

    signum = e.signum if isinstance(e, Interrupted) else signal.SIGINT
    what = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    where = f"during step '{step}'" if step else "before any step started"
    console.print(
        f"[red]interrupted ({what}) {where}[/]: finished steps are kept; run the same command again to resume"
    )
    return typer.Exit(128 + signum)


def _console_logging() -> None:
    """Warnings on the terminal; the full INFO log goes to runs/<name>/steps/<step>.log."""
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _progress(transient: bool) -> Progress:
    """The bar every long command shows: what, bar, done/total, elapsed."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )


def _brief(record) -> str:
    keys = (
        "accuracy_float",
        "accuracy_quantized",
        "bit_exact_fraction",
        "accuracy_emulated",
        "latency_cycles",
        "latency_ns",
        "emulator_vs_rtl",
        "emulator_samples_per_s",
        "lut_yosys",
        "dsp_yosys",
        "n_test",
    )
    parts = []
    for k in keys:
        m = record.metrics.get(k)
        if m is not None and m.value is not None:
            v = f"{100 * m.value:.2f}%" if m.unit == "fraction" else f"{m.value:g} {m.unit}"
            parts.append(f"{k}={v}")
    return "  ".join(parts)


@app.command()
def steps() -> None:
    """List the registered flows and their steps (plugins included)."""
    from .flows import FLOWS, flow_steps

    for flow in FLOWS:
        table = Table(title=f"flow {flow.name}", caption=flow.description)
        table.add_column("step")
        table.add_column("writes")
        table.add_column("what it does")
        for s in flow_steps(flow.name):
            table.add_row(s.name, f"{s.folder}/", s.description)
        Console().print(table)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder (runs/<name>).")]) -> None:
    """Re-build report.json and index.html of an existing run (in that folder, even if copied)."""
    from .api import rebuild_report

    console.print(f"report: {rebuild_report(run_dir)}")


@app.command()
def show(run_dir: Annotated[Path, typer.Argument(help="A run folder (runs/<name>).")]) -> None:
    """Print the headline numbers of a run's report: accuracy (± binomial uncertainty),
    bit-exactness, model, latency and resources (per source: complete or PARTIAL, % of the part);
    kind says measured, estimate, post-synth or post-route."""
    from .api import open as open_run

    rep = open_run(run_dir).report
    table = Table(title=rep.data["run"]["name"])
    for col, justify in (
        ("section", "left"),
        ("quantity", "left"),
        ("value", "right"),
        ("kind", "left"),
        ("source", "left"),
    ):
        table.add_column(col, justify=justify)
    for row in rep.headline():
        table.add_row(*row)
    Console(width=max(160, console.width)).print(table)
    for note in rep.notes:
        console.print(f"[yellow]note:[/] {note}")


def _emulator_inputs(data: Path, key: str | None):
    """A memory-mapped ``.npy`` (any size) or one array of an ``.npz`` (read whole).

    Raises:
        UserError: missing, unreadable or of another format; an unknown --key.
    """
    import zipfile

    import numpy as np

    if not data.is_file():
        raise UserError(f"{data}: no such file" if not data.exists() else f"{data} is a folder, not a file")
    if data.suffix not in (".npy", ".npz"):
        raise UserError(f"{data}: give a .npy (streamed from disk) or a .npz file")
    try:
        if data.suffix == ".npy":
            return np.load(data, mmap_mode="r", allow_pickle=False)
        with np.load(data, allow_pickle=False) as f:
            names = list(f.files)
            pick = key or next(
                (k for k in ("x", "x_test", "X") if k in names), names[0] if len(names) == 1 else None
            )
            if pick not in names:
                raise UserError(f"{data} has arrays {names}: choose one with --key")
            return f[pick]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        raise UserError(
            f"{data} is not a readable {data.suffix} file ({type(e).__name__}: {first})"
        ) from None


@app.command()
def emulate(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (runs/<name>) with an rtl step.")],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Inputs, shape (n, *the run's input shape), as the detector / your file gives them "
            "(.npy streamed from disk, or .npz); default: the run's test set."
        ),
    ] = None,
    key: Annotated[str | None, typer.Option(help="Array of the .npz to use (default x, x_test).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the outputs here: a new .npy, shape (n, outputs).")
    ] = None,
    threads: Annotated[int, typer.Option(help="Threads (0: all cores).")] = 0,
    chunk: Annotated[int, typer.Option(help="Samples per chunk (at least 1).")] = 1 << 16,
    prepared: Annotated[
        bool,
        typer.Option(
            "--prepared", help="--data is already preprocessed (standardised) as the run's data step does."
        ),
    ] = False,
) -> None:
    """Bit-exact emulation of the run's da4ml design, fast (compiled C, SIMD, all cores).

    Inputs are raw features: the run's preprocessing (its standardisation, see the report's
    inputs section) is applied first, unless --prepared. Outputs are what the model's last layer
    gives: logits (a final Dense) or probabilities (a final softmax / sigmoid), one column per
    output unit. Without --data: the run's test set, checked against the Verilator outputs."""
    from .api import (
        check_emulator,
        check_input_shape,
        check_output_file,
        check_threads_and_chunk,
        emulate_stream,
        held_out_inputs,
        preprocessing,
    )

    check_threads_and_chunk(threads, chunk)
    if out is not None:
        check_output_file(out)
    x = _emulator_inputs(data, key) if data else held_out_inputs(run_dir)
    check_input_shape(preprocessing(run_dir)["input_shape"], x.shape, x.dtype)
    with _progress(transient=True) as progress:
        task = progress.add_task("emulate", total=len(x))
        y, emu, seconds = emulate_stream(
            run_dir,
            x,
            out,
            threads,
            chunk,
            lambda done, total: progress.update(task, completed=done),
            prepared=prepared or data is None,
        )
    how = "from the cache" if emu.cached else "compiled"
    console.print(
        f"emulator: {emu.n_in} -> {emu.n_out}, {len(emu.comb.ops)} operations, {how} in {emu.prepare_s:.1f} s"
    )
    console.print(f"{len(x):,} samples in {seconds:.2f} s: {len(x) / max(seconds, 1e-9):,.0f} samples/s")
    if out is not None:
        console.print(f"outputs: {out}")
    if data is None:
        check = check_emulator(run_dir, y, seconds)
        console.print(f"bit-exact with Verilator on the test set: {check.identical}/{check.n}")
        if not check.ok:
            raise typer.Exit(1)


@app.command()
def deploy(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (runs/<name>) with a deploy/ package.")],
    virtual: Annotated[
        bool, typer.Option("--virtual", help="Run the package's driver on the virtual board.")
    ] = False,
) -> None:
    """Show a run's deployment package; with --virtual, run its driver against the virtual board."""
    from .api import package_info, run_virtual_board

    folder, manifest = package_info(run_dir)
    console.print(
        f"package for {manifest['board']} ({manifest['part']}, {manifest['clock_mhz']:g} MHz): "
        f"{len(manifest['files'])} files in {folder}"
    )
    if not virtual:
        return
    rec = run_virtual_board(run_dir)
    if not rec.metrics:
        notes = "; ".join(rec.report.notes) or rec.message or "the step measured nothing"
        raise UserError(f"the virtual board did not run for {run_dir}: {notes}")
    table = Table(title="virtual board (simulated; DMA model in the report)")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for k, m in rec.metrics.items():
        shown = f"{100 * m.value:.2f}%" if m.unit == "fraction" else f"{m.value:g} {m.unit}"
        table.add_row(k, shown)
    Console().print(table)


sweep_app = typer.Typer(no_args_is_help=True, help="Design-space sweeps on Dask with an Optuna study store.")
app.add_typer(sweep_app, name="sweep")


@sweep_app.command("run")
def sweep_run(
    spec: Annotated[Path, typer.Argument(help="Sweep spec (YAML), e.g. configs/sweeps/jet_pareto.yaml.")],
    trials: Annotated[int | None, typer.Option(help="Override the number of trials.")] = None,
) -> None:
    """Run or continue a sweep: finished trials are kept, interrupted ones resumed."""
    import time

    from .dse import load_sweep
    from .dse.report import write_sweep_report
    from .dse.sweep import run_sweep

    s = load_sweep(spec, {"trials": trials} if trials is not None else None)
    _console_logging()
    t0 = time.perf_counter()
    with _progress(transient=False) as progress:
        task = progress.add_task(f"sweep {s.name}", total=None)

        def update(p) -> None:
            progress.update(
                task,
                completed=p.done + p.failed,
                total=p.total,
                description=f"sweep {s.name}: {p.done} done, {p.running} running, {p.failed} failed",
            )

        try:
            study = run_sweep(s, update)
        except (KeyboardInterrupt, Interrupted) as e:
            progress.stop()
            console.print(
                f"[red]interrupted[/]: trials done so far are kept; `hwcodesign sweep run {spec}` continues"
            )
            raise typer.Exit(130 if isinstance(e, KeyboardInterrupt) else 128 + e.signum) from None
    index = write_sweep_report(study, s, time.perf_counter() - t0)
    console.print(f"sweep report: {index}")


@sweep_app.command("show")
def sweep_show(
    spec: Annotated[Path, typer.Argument(help="The sweep folder (runs/<sweep>) or its spec (YAML).")],
    csv: Annotated[Path | None, typer.Option(help="Also write the table to this CSV file.")] = None,
) -> None:
    """Print the trials and the Pareto set (and refresh the sweep's HTML report)."""
    from .dse import load_sweep
    from .dse.pareto import results_table
    from .dse.report import write_sweep_report
    from .dse.sweep import open_study

    if csv is not None and not csv.parent.is_dir():
        raise UserError(f"--csv {csv}: the folder {csv.parent} does not exist")
    s = load_sweep(spec)
    study = open_study(s, create=False)
    df = results_table(study, s)
    cols = [c for c in df.columns if c not in ("run", "error") and df[c].notna().any()]
    n_pareto = int(df["pareto"].sum()) if len(df) else 0
    table = Table(
        title=f"sweep {s.name}: {len(df)} trials, {n_pareto} Pareto-optimal (*)",
        caption="feasible: meets every constraint",
    )
    table.add_column("trial", justify="right")
    for c in cols:
        table.add_column(c.removeprefix("param:").split(".")[-1], justify="right", overflow="fold")
    for t, row in df.iterrows():
        style = "bold green" if row.get("pareto") else ("red" if row["state"] == "FAIL" else "")
        table.add_row(str(t), *[_cell(row[c]) for c in cols], style=style)
    Console(width=max(120, console.width)).print(table)
    for t, row in df[df["state"] == "FAIL"].iterrows():
        console.print(f"[red]trial {t} failed:[/] {row['error']}")
    if csv:
        df.to_csv(csv)
    console.print(f"sweep report: {write_sweep_report(study, s)}")


@sweep_app.command("job-script")
def sweep_job_script(
    spec: Annotated[Path, typer.Argument(help="Sweep spec with cluster kind slurm/htcondor/pbs.")],
) -> None:
    """Print the batch job script dask-jobqueue submits for one worker (no cluster needed)."""
    from .dse import load_sweep
    from .dse.cluster import job_script

    print(job_script(load_sweep(spec).cluster))


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "*" if v else ""
    if v in ("COMPLETE", "FAIL", "RUNNING", "WAITING"):
        return {"COMPLETE": "done", "FAIL": "FAIL", "RUNNING": "running", "WAITING": "waiting"}[v]
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _on_signal(signum: int, _frame) -> None:
    raise Interrupted(signum)


def main() -> None:
    """Entry point: user mistakes are one line (exit 2), as are files the system refuses (an
    OSError naming its file), interrupts exit 128 + signal, and only internal errors show a
    traceback."""
    import signal

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        rc = app(standalone_mode=False)
    except UserError as e:
        console.print(f"[red]error:[/] {_one_line(str(e))}", soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, Interrupted) as e:
        sys.exit(_interrupted(e, None).exit_code)
    except typer.Abort:
        console.print("[red]aborted[/]")
        sys.exit(1)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except OSError as e:
        if not getattr(e, "filename", None):
            _internal_error()
        console.print(f"[red]error:[/] {e.filename}: {e.strerror or e}", soft_wrap=True)
        sys.exit(2)
    except typer.TyperException as e:  # click usage errors: unknown option, missing argument
        fmt = getattr(e, "format_message", None)
        text = fmt() if fmt else str(e)
        ctx = getattr(e, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        console.print(f"[red]error:[/] {_one_line(text)}{hint}", soft_wrap=True)
        sys.exit(getattr(e, "exit_code", 2) or 2)
    except Exception as e:
        stop = interrupt_behind(e)  # a signal that landed inside an import comes back wrapped
        if stop is not None:
            sys.exit(_interrupted(stop, None).exit_code)
        _internal_error()
    sys.exit(rc if isinstance(rc, int) else 0)


def _internal_error() -> None:
    """The traceback and where to report it; exit code 1."""
    import traceback

    traceback.print_exc()
    console.print(
        "[red]internal error[/]: this is a bug in hwcodesign or a tool it drives; please "
        "report it with the traceback above and runs/<name>/steps/<step>.log"
    )
    sys.exit(1)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


if __name__ == "__main__":
    main()
