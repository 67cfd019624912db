"""The notebook face of hwcodesign (``import hwcodesign as hw``); the CLI is a thin layer
over the same functions.

    target = hw.Target(part="xcvu13p-flga2577-2-e", clock_ns=5)
    run = hw.run("my.keras", data=(x, y), target=target, until="rtl")
    run.report               # sections as pandas DataFrames; shown as tables in a notebook
    run = hw.open("runs/my") # an existing run
    front = hw.sweep("configs/sweeps/jet_pareto.yaml")  # a design-space sweep (see dse/)

``model`` may be a path (``.keras`` -> keras_file, ``.h5``/``.json`` -> keras2_file, ``.onnx`` ->
onnx_file), a ``keras.Model``, a Brevitas ``torch.nn.Module`` (exported to QONNX), or a
``model:`` section as a dict. ``data`` may be a path (``.npz``/``.h5``), arrays ``(x, y)`` or
``x`` alone (unlabelled), a dict of fixed splits (``x_train``, ``y_train``, ``x_test``, ...), or
a ``data:`` section as a dict. Objects are written once, content-addressed, under
``<runs_dir>/.inputs/`` so the run's config names real files and re-runs are cached.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .config import RunConfig, TargetConfig, config_from_dict, load_config
from .errors import ConfigError
from .run import Run

__all__ = ["Target", "run", "open", "make_config", "sweep", "emulate", "RunHandle", "Report", "SweepResult"]

#: The hardware target of a run (part, clock, board, hls4ml/da4ml/finn settings).
Target = TargetConfig

_SUFFIX_KIND = {
    ".keras": "keras_file",
    ".h5": "keras2_file",
    ".hdf5": "keras2_file",
    ".json": "keras2_file",
    ".onnx": "onnx_file",
}


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
    """A validated run config from Python objects (the arguments of ``run``).

    Raises:
        ConfigError: an argument of an unknown kind, or an invalid resulting config.
    """
    if isinstance(config, RunConfig):
        raw = config.model_dump(mode="json")
    elif isinstance(config, str | Path):
        raw = load_config(config).model_dump(mode="json")
    else:
        raw = dict(config or {})
    base = Path(runs_dir) if runs_dir is not None else Path(raw.get("runs_dir", "runs"))
    raw["runs_dir"] = str(base.resolve())
    inputs = base.resolve() / ".inputs"
    if model is not None:
        raw["model"] = _model_section(model, inputs, data)
    if data is not None:
        raw["data"] = _data_section(data, inputs)
    if target is not None:
        raw["target"] = target.model_dump(mode="json") if isinstance(target, TargetConfig) else dict(target)
    if name is not None:
        raw["name"] = name
    raw.setdefault("name", _default_name(raw.get("model", {})))
    if "flow" in raw and model is not None and config is not None:
        raw.pop("flow")  # follows the new model's frontend
    for dotted, value in (overrides or {}).items():
        *parents, leaf = dotted.split(".")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return config_from_dict(raw)


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


def _model_key(model) -> str:
    """Architecture + weights: saved model files embed save times, so their bytes differ."""
    import json

    import numpy as np

    h = hashlib.sha256()
    if hasattr(model, "get_weights"):
        layers = [(type(layer).__name__, layer.get_config()) for layer in model.layers]
        h.update(json.dumps(layers, sort_keys=True, default=str).encode())
        for w in model.get_weights():
            h.update(np.ascontiguousarray(w).tobytes())
    else:
        h.update(repr(model).encode())
        for k, v in model.state_dict().items():
            h.update(k.encode())
            h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def _model_section(model: Any, inputs: Path, data: Any) -> dict:
    if isinstance(model, Mapping):
        return dict(model)
    if isinstance(model, str | Path):
        path = Path(model).resolve()
        kind = _SUFFIX_KIND.get(path.suffix.lower())
        if kind is None:
            raise ConfigError(f"cannot tell the model format of {path.name}: use .keras, .h5, .json or .onnx")
        return {"kind": kind, "path": str(path)}
    kind = type(model).__module__.split(".")[0]
    if kind in ("keras", "tensorflow"):
        path = _store(inputs, lambda p: model.save(p), ".keras", _model_key(model))
        return {"kind": "keras_file", "path": str(path)}
    if kind in ("torch", "brevitas") or hasattr(model, "state_dict"):
        return {
            "kind": "onnx_file",
            "path": str(_store(inputs, lambda p: _export_torch(model, data, p), ".onnx", _model_key(model))),
        }
    raise ConfigError(
        f"model of type {type(model).__name__} is not understood: give a path, a keras.Model, a Brevitas "
        f"nn.Module or a model section (dict)"
    )


def _export_torch(model, data, path: Path) -> None:
    import numpy as np

    from .frontends.brevitas import export_qonnx

    x = data[0] if isinstance(data, tuple | list) else data
    if not hasattr(x, "shape"):
        raise ConfigError("a torch model needs the data as arrays (x, y) to trace its input shape")
    export_qonnx(model, np.ascontiguousarray(x[:1], dtype=np.float32), path)


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
    **overrides: Any,
) -> RunHandle:
    """Run a flow on your model and data (see the module docstring for what each may be).

    ``overrides`` set config keys, with ``__`` for dots: ``train__epochs=5``.

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
    result = run_flow(cfg, until=until, only=only, force=force, overwrite=overwrite, on_event=on_event)
    return RunHandle(result)


def _print_event(e) -> None:
    if e.state == "start":
        print(f"▶ {e.step}", flush=True)
    elif e.state == "damaged":
        print(f"! {e.message}", flush=True)
    elif e.state in ("done", "cached") and e.record is not None:
        print(f"✓ {e.step} {'(cached)' if e.state == 'cached' else f'{e.record.seconds:.1f} s'}", flush=True)


def open(path: str | Path) -> RunHandle:  # noqa: A001 - hw.open reads like the builtin on purpose
    """An existing run folder."""
    return RunHandle(Run.open(path))


class RunHandle:
    """A run folder, its config, steps and report."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.root = run.root
        self.config = run.config

    @property
    def report(self) -> Report:
        """The report (``report/report.json``); raises if the report step has not run."""
        import json

        from .errors import StepOrderError

        path = self.root / "report" / "report.json"
        if not path.is_file():
            raise StepOrderError(f"{path} does not exist: run the flow through its report step")
        return Report(json.loads(path.read_text()), self.root)

    @property
    def steps(self):
        """One row per step record: status, seconds, message."""
        import pandas as pd

        from .flows import get_flow

        rows = []
        for step in get_flow(self.config.flow):
            rec = self.run.record(step)
            rows.append(
                {
                    "step": step,
                    "status": rec.status if rec else "not run",
                    "seconds": rec.seconds if rec else None,
                }
            )
        return pd.DataFrame(rows).set_index("step")

    def __repr__(self) -> str:
        return f"RunHandle({self.root}, flow={self.config.flow})"

    def _repr_html_(self) -> str:
        try:
            return self.report._repr_html_()
        except Exception:  # no report yet: show the steps
            return f"<p>run <code>{self.root}</code></p>" + self.steps.to_html()


class Report:
    """``report.json`` with its sections as pandas DataFrames (each number with its source)."""

    METRIC_SECTIONS = ("accuracy", "bit_exactness", "latency", "model", "deployment")

    def __init__(self, data: dict, root: Path) -> None:
        self.data = data
        self.root = root

    def section(self, name: str):
        import pandas as pd

        rows = {
            k: {c: m.get(c) for c in ("value", "unit", "kind", "n", "source", "note")}
            for k, m in self.data.get(name, {}).items()
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def __getattr__(self, name: str):
        if name in self.METRIC_SECTIONS:
            return self.section(name)
        raise AttributeError(name)

    @property
    def resources(self):
        """Counts per resource (rows) and source (columns)."""
        import pandas as pd

        return pd.DataFrame({src: t["counts"] for src, t in self.data.get("resources", {}).items()})

    @property
    def tables(self) -> dict:
        import pandas as pd

        return {title: pd.DataFrame(rows) for title, rows in self.data.get("layers", {}).items()}

    @property
    def notes(self) -> list[str]:
        return list(self.data.get("notes", []))

    def html(self) -> str:
        """The full HTML report (with plots)."""
        return (self.root / "report" / "index.html").read_text()

    def _repr_html_(self) -> str:
        from html import escape

        parts = [
            f"<h3>{escape(self.data['run']['name'])} <small>({escape(self.data['run']['flow'])})</small></h3>"
        ]
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{escape(n)}</li>" for n in self.notes) + "</ul>")
        for name in ("accuracy", "bit_exactness", "latency", "deployment"):
            df = self.section(name)
            if len(df):
                parts.append(f"<h4>{name}</h4>" + df[["value", "unit", "n", "source"]].to_html())
        if self.data.get("resources"):
            parts.append("<h4>resources</h4>" + self.resources.to_html())
        parts.append(f"<p>full report: <code>{escape(str(self.root / 'report' / 'index.html'))}</code></p>")
        return "\n".join(parts)


def emulate(run: str | Path | RunHandle, x: Any, threads: int = 0) -> Any:
    """Outputs of the run's hardware (its da4ml design) for inputs ``x``, bit-exact with the
    RTL, from a compiled emulator (hundreds of thousands of samples per second; the first
    call per design compiles it, about half a minute, then it is cached)."""
    import numpy as np

    from .artifacts import load_emulator

    r = run.run if isinstance(run, RunHandle) else Run.open(run)
    return load_emulator(r).predict(np.asarray(x), threads)


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
