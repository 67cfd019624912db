"""The Python face of hwcodesign (``import hwcodesign as hw``); the CLI only parses arguments and
calls these functions.

    target = hw.Target(part="xcvu13p-flga2577-2-e", clock_ns=5)
    run = hw.run("my.keras", data=(x, y), target=target, until="rtl")
    run.report               # sections as pandas DataFrames; shown as tables in a notebook
    run = hw.open("runs/my") # an existing run
    front = hw.sweep("configs/sweeps/jet_pareto.yaml")  # a design-space sweep (see dse/)

``model`` may be a path (the family that lists its suffix and accepts the file: ``.keras`` ->
keras_file (or keras2_file for QKeras layers), ``.h5``/``.json`` -> keras2_file, ``.onnx`` ->
onnx_file with quantizers, onnx_float without; or a plugin family's), an object a family adopts
(a ``keras.Model``, a Brevitas ``torch.nn.Module`` exported to QONNX),
or a ``model:`` section as a dict. ``data`` may be a path (``.npz``/``.h5``), arrays ``(x, y)``
or ``x`` alone (unlabelled), a dict of fixed splits (``x_train``, ``y_train``, ``x_test``, ...),
or a ``data:`` section as a dict. Objects are written once, content-addressed, under
``<runs_dir>/.inputs/`` so the run's config names real files and re-runs are cached.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import RunConfig, TargetConfig, config_from_dict, load_config
from .errors import ConfigError, StepOrderError
from .report.view import Report
from .run import Run

__all__ = [
    "Target",
    "run",
    "open",
    "make_config",
    "rebuild_report",
    "sweep",
    "emulate",
    "emulate_stream",
    "check_emulator",
    "EmulatorCheck",
    "prepare_inputs",
    "preprocessing",
    "held_out_inputs",
    "package_info",
    "run_virtual_board",
    "RunHandle",
    "Report",
    "SweepResult",
]

#: The hardware target of a run (part, clock, board, hls4ml/da4ml/finn settings).
Target = TargetConfig


def make_config(
    model: Any = None,
    data: Any = None,
    target: TargetConfig | Mapping | None = None,
    *,
    config: str | Path | RunConfig | Mapping | None = None,
    name: str | None = None,
    runs_dir: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> RunConfig:
    """A validated run config: a config (file, object or dict) and/or your model, data and target,
    with dotted-key ``overrides`` (``{"train.epochs": 5}``). The one way configs are built, for
    the CLI and for Python. A config file's relative paths (its own and those in ``overrides``)
    are resolved against the file's folder.

    Raises:
        ConfigError: an argument of an unknown kind, or an invalid resulting config.
    """
    overrides = dict(overrides or {})
    if isinstance(config, str | Path):
        raw = load_config(config, overrides).model_dump(mode="json")
        overrides = {}
    elif isinstance(config, RunConfig):
        raw = config.model_dump(mode="json")
    else:
        raw = dict(config or {})
    base = Path(runs_dir) if runs_dir is not None else Path(raw.get("runs_dir", "runs"))
    raw["runs_dir"] = str(base.resolve())
    inputs = base.resolve() / ".inputs"
    if model is not None:
        raw["model"] = _model_section(model, inputs, data)
        if config is not None:
            raw.pop("flow", None)  # follows the new model's family
    if data is not None:
        raw["data"] = _data_section(data, inputs)
    if target is not None:
        raw["target"] = target.model_dump(mode="json") if isinstance(target, TargetConfig) else dict(target)
    if name is not None:
        raw["name"] = name
    raw.setdefault("name", _default_name(raw.get("model", {})))
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"cannot set '{dotted}': '{p}' is not a section")
        node[leaf] = value
    cfg = config_from_dict(raw)
    from .flows import check_flow_fits

    check_flow_fits(cfg)
    return cfg


def _default_name(model: Mapping) -> str:
    stem = Path(str(model.get("path", "run"))).stem if isinstance(model, Mapping) else "run"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".")[:100] or "run"


def _store(inputs: Path, write: Callable[[Path], None], suffix: str, key: str | None = None) -> Path:
    """Write an input once, named by ``key`` or by the hash of the written file."""
    inputs.mkdir(parents=True, exist_ok=True)
    if key is not None and (inputs / f"{key}{suffix}").exists():
        return inputs / f"{key}{suffix}"
    with tempfile.TemporaryDirectory(dir=inputs) as tmp:
        tmp_file = Path(tmp) / f"input{suffix}"
        write(tmp_file)
        digest = key or hashlib.sha256(tmp_file.read_bytes()).hexdigest()[:16]
        final = inputs / f"{digest}{suffix}"
        if not final.exists():
            shutil.move(tmp_file, final)
    return final


def _model_section(model: Any, inputs: Path, data: Any) -> dict:
    """A ``model:`` section for a dict, a file (by suffix) or an object (a family that adopts it)."""
    from .families import FAMILIES, family_of_file

    if isinstance(model, Mapping):
        return dict(model)
    if isinstance(model, str | Path):
        path = Path(model).resolve()
        family = family_of_file(path)
        if family is None:
            suffixes = sorted({s for f in FAMILIES for s in f.file_suffixes})
            raise ConfigError(f"cannot tell the model format of {path.name}: use {', '.join(suffixes)}")
        return {"kind": family.kind, "path": str(path)}

    def store(write: Callable[[Path], None], suffix: str, key: str | None = None) -> Path:
        return _store(inputs, write, suffix, key)

    for family in FAMILIES:
        adopt = family.load("adopt")
        section = adopt(model, store, data) if adopt is not None else None
        if section is not None:
            return section
    takers = [f.kind for f in FAMILIES if f.adopt is not None]
    raise ConfigError(
        f"model of type {type(model).__name__} is not understood: give a path, a model section (dict) or "
        f"an object of a family that adopts objects ({', '.join(takers)}: keras.Model, Brevitas nn.Module)"
    )


def _data_section(data: Any, inputs: Path) -> dict:
    import numpy as np

    if isinstance(data, str | Path):
        return {"dataset": "file", "path": str(Path(data).resolve())}
    if isinstance(data, Mapping) and ("dataset" in data or "source" in data):
        return dict(data)
    if isinstance(data, Mapping):
        arrays = {k: np.asarray(v) for k, v in data.items()}
    elif isinstance(data, tuple | list):
        if len(data) not in (1, 2):
            raise ConfigError(
                "data as a tuple is (x, y) or (x,); for fixed splits pass a dict x_train, y_train, ..."
            )
        arrays = {"x": np.asarray(data[0]), **({"y": np.asarray(data[1])} if len(data) == 2 else {})}
    elif hasattr(data, "shape"):
        arrays = {"x": np.asarray(data)}
    else:
        raise ConfigError(
            f"data of type {type(data).__name__} is not understood: a path, (x, y), x, or a dict"
        )
    path = _store(inputs, lambda p: np.savez(p, **arrays), ".npz")
    labelled = any(k == "y" or k.startswith("y_") for k in arrays)
    return {"dataset": "file", "path": str(path), **({} if labelled else {"y_key": None})}


def run(
    model: Any = None,
    data: Any = None,
    target: TargetConfig | Mapping | None = None,
    *,
    config: str | Path | RunConfig | Mapping | None = None,
    name: str | None = None,
    runs_dir: str | Path | None = None,
    until: str | None = None,
    only: str | None = None,
    force: bool = False,
    overwrite: bool = False,
    progress: bool | Callable = True,
    on_progress: Callable[[str, int, int], None] | None = None,
    **overrides: Any,
) -> RunHandle:
    """Run a flow on your model and data (see the module docstring for what each may be).

    ``overrides`` set config keys, with ``__`` for dots: ``train__epochs=5``. ``progress``: print
    a line per step (True), nothing (False), or a callable given each ``StepEvent``;
    ``on_progress(what, done, total)`` hears the long loops inside steps.

    Raises:
        UserError: a bad argument, config or file, in one line; InternalError: a bug.
    """
    from .flows import run_flow

    cfg = make_config(
        model,
        data,
        target,
        config=config,
        name=name,
        runs_dir=runs_dir,
        overrides={k.replace("__", "."): v for k, v in overrides.items()},
    )
    on_event = progress if callable(progress) else (_print_event if progress else None)
    result = run_flow(
        cfg,
        until=until,
        only=only,
        force=force,
        overwrite=overwrite,
        on_event=on_event,
        on_progress=on_progress,
    )
    return RunHandle(result)


def _print_event(e) -> None:
    if e.state == "start":
        print(f"▶ {e.step}", flush=True)
    elif e.state == "damaged":
        print(f"! {e.message}", flush=True)
    elif e.state in ("done", "cached") and e.record is not None:
        print(f"✓ {e.step} {'(cached)' if e.state == 'cached' else f'{e.record.seconds:.1f} s'}", flush=True)


def open(path: str | Path) -> RunHandle:  # noqa: A001 - hw.open reads like the builtin on purpose
    """An existing run folder. A folder made by hwcodesign 0.2 (no ``plan.json``) gets its plan
    from its config's flow, so its finished steps are used as they are."""
    r = Run.open(path)
    if not r.has_plan():
        from .flows import make_plan

        r.write_plan(make_plan(r.config.flow))
    return RunHandle(r)


def rebuild_report(run: str | Path | RunHandle) -> Path:
    """Re-build ``report.json`` and ``index.html`` of an existing run (in that folder, even if
    copied); returns the HTML file."""
    from .flows import run_flow

    r = _run_of(run)
    run_flow(r.config, only="report", force=True, root=r.root)
    return r.locate("report").with_name("index.html")


def _run_of(run: str | Path | RunHandle | Run) -> Run:
    if isinstance(run, RunHandle):
        return run.run
    return run if isinstance(run, Run) else open(run).run


class RunHandle:
    """A run folder, its config, steps and report."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.root = run.root
        self.config = run.config

    @property
    def report(self) -> Report:
        """The report (``report/report.json``).

        Raises:
            StepOrderError: the report step has not run.
        """
        import json

        path = self.run.locate("report")
        if not path.is_file():
            raise StepOrderError(f"{path} does not exist: run the flow through its report step")
        try:
            data = json.loads(path.read_text())
            data["run"]["name"]
        except (ValueError, KeyError, TypeError):
            raise StepOrderError(
                f"{path} is damaged; rebuild it with: hwcodesign report {self.root}"
            ) from None
        return Report(data, path.parent)

    @property
    def steps(self):
        """One row per step of the run's plan: status, seconds."""
        import pandas as pd

        rows = []
        for step in self.run.plan.step_names:
            rec = self.run.record(step)
            rows.append(
                {
                    "step": step,
                    "status": rec.status if rec else "not run",
                    "seconds": rec.seconds if rec else None,
                }
            )
        return pd.DataFrame(rows).set_index("step")

    def report_path(self) -> Path | None:
        """``report/report.json`` when the run has one, else None."""
        if "report" not in self.run.plan.artifacts:
            return None
        path = self.run.locate("report")
        return path if path.is_file() else None

    def __repr__(self) -> str:
        return f"RunHandle({self.root}, flow={self.config.flow})"

    def _repr_html_(self) -> str:
        try:
            return self.report._repr_html_()
        except Exception:  # no report yet: show the steps
            return f"<p>run <code>{self.root}</code></p>" + self.steps.to_html()


def emulate(run: str | Path | RunHandle, x: Any, threads: int = 0, prepared: bool = False) -> Any:
    """Outputs of the run's hardware (its da4ml design) for inputs ``x``, bit-exact with the RTL,
    from a compiled emulator (hundreds of thousands of samples per second; the first call per
    design compiles it, about half a minute, then it is cached).

    Args:
        run: a run folder or handle with an rtl step.
        x: inputs of shape (n, *the run's input shape), as the detector or your data file gives
            them: the run's preprocessing (its standardisation, ``report.inputs``) is applied
            first, as the data step did. With ``prepared=True``, ``x`` is taken as already
            preprocessed (e.g. ``held_out_inputs(run)``).
        threads: OpenMP threads (0: all cores).
        prepared: ``x`` is already preprocessed.

    Returns:
        (n, outputs) float64: the design's outputs, logits or probabilities as the model's last
        layer gives them (``report.inputs["outputs"]`` says which), bit-exact with the RTL.

    Raises:
        UserError: a shape that is not (n, *input shape) axis by axis, NaN or Inf inputs, threads < 0.
    """
    r = _run_of(run)
    check_threads_and_chunk(threads, 1)
    x = prepare_inputs(r, x, prepared)
    from .artifacts import load_emulator

    return load_emulator(r).predict(x, threads)


def check_threads_and_chunk(threads: int, chunk: int) -> None:
    """Raises UserError for threads < 0 or chunk < 1."""
    from .errors import UserError

    if not isinstance(threads, int) or threads < 0:
        raise UserError(f"threads must be 0 (all cores) or a positive number, got {threads}")
    if not isinstance(chunk, int) or chunk < 1:
        raise UserError(f"chunk must be at least 1 sample, got {chunk}")


def prepare_inputs(run: str | Path | RunHandle | Run, x: Any, prepared: bool = False):
    """``x`` checked against the run's input shape (axis by axis), refused with NaN/Inf, and
    preprocessed as the data step did (unless ``prepared``): float32, then the run's
    standardisation. Works chunk by chunk on a memory-mapped array.

    Raises:
        UserError: wrong shape (both shapes named), NaN or Inf (counted), not numbers.
    """
    import numpy as np

    from .errors import UserError

    r = _run_of(run)
    pre = preprocessing(r)
    x = np.asarray(x)
    check_input_shape(pre["input_shape"], x.shape, x.dtype)
    bad = int(np.count_nonzero(~np.isfinite(x))) if np.issubdtype(x.dtype, np.floating) else 0
    if bad:
        rows = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
        raise UserError(
            f"inputs hold {bad} NaN/Inf values (in {len(rows)} of {len(x)} samples, first: "
            f"{rows[:5].tolist()}); the hardware has no NaN: replace them (e.g. by 0 for a missing "
            f"particle) before emulating"
        )
    x = x.astype(np.float32)
    if prepared or pre["standardisation"] is None:
        return x
    from .data.preprocess import standardise

    return standardise(x, pre["standardisation"], pre["zero_rows_kept"])


def check_input_shape(want: Any, shape: tuple, dtype: Any = None) -> None:
    """Inputs of ``shape`` fit a design taking (n, *want), axis by axis, and are numbers.

    Raises:
        UserError: naming both shapes and each axis that differs.
    """
    import numpy as np

    from .errors import UserError

    if dtype is not None and not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise UserError(f"inputs must be integers or floats, got an array of {dtype}")
    want, shape = tuple(want), tuple(shape)
    if len(shape) == len(want) + 1 and shape[1:] == want:
        return
    if len(shape) == len(want) + 1:
        pairs = enumerate(zip(shape[1:], want, strict=True))
        why = "; ".join(f"axis {i + 1} is {g}, not {w}" for i, (g, w) in pairs if g != w)
    else:
        why = f"{len(shape)} axes instead of {len(want) + 1}"
    raise UserError(
        f"inputs of shape {shape} do not fit the design, which takes (n, {', '.join(map(str, want))}): "
        f"{why}; nothing is reshaped or transposed for you"
    )


def preprocessing(run: str | Path | RunHandle | Run) -> dict:
    """What the run does to raw inputs before the model (``data/preprocess.py``): ``input_shape``,
    ``standardisation`` (mean/std per feature, or None), ``zero_rows_kept``."""
    from .data.preprocess import preprocessing as of_run

    return of_run(_run_of(run))


def emulate_stream(
    run: str | Path | RunHandle,
    x: Any,
    out: Path | None = None,
    threads: int = 0,
    chunk: int = 1 << 16,
    on_progress: Callable[[int, int], None] | None = None,
    prepared: bool = False,
):
    """Emulate ``x`` (any array, e.g. a memory-mapped ``.npy``) chunk by chunk, preprocessed as in
    :func:`emulate` unless ``prepared``; outputs go to a new ``.npy`` file ``out`` (memory-mapped)
    or stay in memory. Returns (outputs, emulator, seconds).

    Raises:
        UserError: ``out`` exists, its folder does not, it is not ``.npy``; threads < 0; chunk < 1;
            an input chunk with the wrong shape, NaN or Inf (``out`` is then removed).
    """
    import time

    import numpy as np

    from .artifacts import load_emulator

    check_threads_and_chunk(threads, chunk)
    r = _run_of(run)
    if out is not None:
        check_output_file(Path(out))
    check_input_shape(preprocessing(r)["input_shape"], x.shape, x.dtype)  # before the emulator build
    emu = load_emulator(r)
    t0 = time.perf_counter()
    try:
        y = (
            np.lib.format.open_memmap(out, mode="w+", dtype=np.float64, shape=(len(x), emu.n_out))
            if out is not None
            else np.empty((len(x), emu.n_out))
        )
        for start in range(0, len(x), chunk):
            part = prepare_inputs(r, x[start : start + chunk], prepared)
            y[start : start + len(part)] = emu.predict(part, threads)
            if on_progress is not None:
                on_progress(start + len(part), len(x))
        if out is not None:
            y.flush()
    except BaseException:
        if out is not None:
            Path(out).unlink(missing_ok=True)
        raise
    return y, emu, time.perf_counter() - t0


def check_output_file(out: Path) -> None:
    """An output file that can be made: new, ``.npy``, in an existing writable folder.

    Raises:
        UserError: naming the problem.
    """
    import os

    from .errors import UserError

    if out.exists():
        raise UserError(f"{out} exists; remove it or choose another --out")
    if out.suffix != ".npy":
        raise UserError(f"--out {out}: outputs are written as a .npy file (name it {out.stem}.npy)")
    if not out.parent.is_dir():
        raise UserError(f"--out {out}: the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise UserError(f"--out {out}: the folder {out.parent} is not writable")


@dataclass(frozen=True)
class EmulatorCheck:
    """The emulator against the Verilator outputs of the run's test set."""

    n: int
    identical: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.identical == self.n


def check_emulator(run: str | Path | RunHandle, outputs, seconds: float = 0.0) -> EmulatorCheck:
    """Compare emulator outputs of the whole test set with the rtl step's Verilator outputs."""
    import numpy as np

    from .artifacts import RTL_OUTPUTS, locate

    r = _run_of(run)
    with np.load(locate(r, RTL_OUTPUTS)) as f:
        rtl = f["rtl"].reshape(len(outputs), -1)
    same = np.all(np.asarray(outputs) == rtl, axis=1)
    return EmulatorCheck(len(outputs), int(same.sum()), seconds)


def held_out_inputs(run: str | Path | RunHandle):
    """The run's test-set inputs as the design takes them (already preprocessed: pass
    ``prepared=True`` to :func:`emulate`); the report's numbers were measured on them."""
    from .artifacts import load_dataset

    return load_dataset(_run_of(run)).x_test


def package_info(run: str | Path | RunHandle) -> tuple[Path, dict]:
    """The run's deployment package folder and its manifest.

    Raises:
        UserError: the run has no package yet.
    """
    import json

    from .errors import UserError

    r = _run_of(run)
    try:
        spec = r.locate("deploy")
    except StepOrderError:
        raise UserError(f"flow {r.config.flow} of {r.root} has no package step") from None
    if not spec.is_file():
        raise UserError(f"{spec.parent} has no package: run the flow through its package step first")
    return spec.parent, json.loads((spec.parent / "manifest.json").read_text())


def run_virtual_board(run: str | Path | RunHandle):
    """Run the package's driver on the virtual board again; returns the step record."""
    from .flows import run_flow

    r = _run_of(run)
    package_info(r)
    run_flow(r.config, only="virtual_board", force=True, root=r.root)
    return r.record("virtual_board")


def sweep(spec: Any, *, progress: bool = True, **overrides: Any) -> SweepResult:
    """Run or continue a sweep: ``spec`` is a sweep YAML, a sweep folder or a
    :class:`hwcodesign.dse.SweepSpec`; ``overrides`` set spec fields (``trials=4``).
    Finished trials are kept; a second call with the same spec only adds what is missing.

    Raises:
        UserError: a bad spec (naming the key); ConfigError: an axis over an unknown key.
    """
    import time

    from .dse import SweepSpec, load_sweep
    from .dse.report import write_sweep_report
    from .dse.sweep import run_sweep

    if isinstance(spec, SweepSpec):
        s = SweepSpec.model_validate({**spec.model_dump(), **overrides}) if overrides else spec
    else:
        s = load_sweep(spec, overrides or None)
    seen: list = []

    def show(p) -> None:
        if not seen or seen[-1] != p:
            print(
                f"sweep {s.name}: {p.done} done, {p.running} running, {p.failed} failed of {p.total}",
                flush=True,
            )
            seen.append(p)

    t0 = time.perf_counter()
    study = run_sweep(s, show if progress else None)
    return SweepResult(s, study, write_sweep_report(study, s, time.perf_counter() - t0))


class SweepResult:
    """A sweep's trials (``table``), its Pareto set (``pareto``) and HTML report (``report``)."""

    def __init__(self, spec, study, report: Path) -> None:
        self.spec, self.study, self.report = spec, study, report

    @property
    def table(self):
        """One row per trial: state, parameters, objectives, key metrics, error, run folder."""
        from .dse.pareto import results_table

        return results_table(self.study, self.spec)

    @property
    def pareto(self):
        """The feasible, non-dominated trials."""
        df = self.table
        return df[df["pareto"]] if len(df) else df

    def __repr__(self) -> str:
        return f"SweepResult({self.spec.folder}, {len(self.table)} trials, report {self.report})"

    def _repr_html_(self) -> str:
        import base64

        pngs = [base64.b64encode(p.read_bytes()).decode() for p in sorted(self.report.parent.glob("*.png"))]
        images = "".join(f'<img style="max-width:48%" src="data:image/png;base64,{b}">' for b in pngs)
        cols = [c for c in self.table.columns if c not in ("run", "error")]
        return (
            f"<p>sweep <code>{self.spec.folder}</code>: report <code>{self.report}</code></p>{images}"
            f"<h4>Pareto set</h4>{self.pareto[cols].to_html(float_format=lambda v: f'{v:.4g}')}"
        )
