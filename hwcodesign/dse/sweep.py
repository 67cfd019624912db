"""The sweep driver: Optuna asks for trials, Dask runs them, Optuna is told the results.

Nothing is lost and nothing done twice: the study lives in an RDB store (SQLite in the sweep
folder by default) and every trial is a run folder. A driver killed with ``kill -9`` leaves its
trials RUNNING in the store; the same command then resubmits exactly those (same trial
number, same folder: their finished steps are cached) and asks only for the trials still
missing. A worker that dies mid-trial is rescheduled by Dask and the trial is told once.
One driver per sweep (a lock on the sweep folder).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import config_from_dict, load_config
from ..errors import ConfigError
from ..locks import exclusive
from .spec import Axis, SweepSpec

__all__ = ["Progress", "open_study", "run_sweep", "distributions", "constraint_values", "check_axes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    running: int
    failed: int


def _optuna():
    try:
        import optuna
    except ImportError:
        from ..errors import MissingDependencyError

        raise MissingDependencyError(
            "optuna", "sweeps", ".venv/bin/pip install optuna  (part of `make install`)"
        ) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def distributions(spec: SweepSpec) -> dict:
    optuna = _optuna()
    d = optuna.distributions
    out = {}
    for key, axis in spec.axes.items():
        out[key] = _distribution(d, axis)
    return out


def _distribution(d, axis: Axis):
    if axis.values is not None:
        return d.CategoricalDistribution(axis.values)
    if axis.range is not None:
        low, high, step = axis.range
        if axis.integer:
            return d.IntDistribution(int(low), int(high), step=int(step))
        return d.FloatDistribution(low, high, step=step)
    low, high = axis.log_range
    return (
        d.IntDistribution(int(low), int(high), log=True)
        if axis.integer
        else d.FloatDistribution(low, high, log=True)
    )


def constraint_values(spec: SweepSpec, metrics: dict[str, float]) -> list[float]:
    """Optuna's convention: <= 0 is satisfied. A missing metric counts as violated."""
    out = []
    for c in spec.constraints:
        if c.fits_part:
            out.append(0.0 if metrics.get("fits_part") == 1.0 else 1.0)
            continue
        v = metrics.get(c.metric)
        if v is None:
            out.append(1.0)
        elif c.op == "<=":
            out.append(v - c.value)
        elif c.op == ">=":
            out.append(c.value - v)
        else:
            out.append(abs(v - c.value))
    return out


def _sampler(spec: SweepSpec):
    optuna = _optuna()
    s = spec.sampler  # constraints reach TPE / NSGA-II through trial.set_constraint (see _tell)
    if s.kind == "grid":

        class Grid(optuna.samplers.GridSampler):
            def after_trial(self, study, trial, state, values) -> None:
                """GridSampler stops ``study.optimize`` here; with ask/tell the driver stops."""

        return Grid({k: a.grid() for k, a in spec.axes.items()}, seed=s.seed)
    if s.kind == "random":
        return optuna.samplers.RandomSampler(seed=s.seed)
    if s.kind == "tpe":
        return optuna.samplers.TPESampler(seed=s.seed, multivariate=True)
    return optuna.samplers.NSGAIISampler(population_size=s.population, seed=s.seed)


def open_study(spec: SweepSpec, create: bool = True):
    optuna = _optuna()
    spec.folder.mkdir(parents=True, exist_ok=True)
    directions = [o.direction for o in spec.objectives]
    if not create:
        try:
            return optuna.load_study(study_name=spec.name, storage=spec.storage_url(), sampler=_sampler(spec))
        except KeyError:
            raise ConfigError(f"no sweep '{spec.name}' in {spec.storage_url()}: run it first") from None
    study = optuna.create_study(
        study_name=spec.name,
        storage=spec.storage_url(),
        directions=directions,
        sampler=_sampler(spec),
        load_if_exists=True,
    )
    stored = study.user_attrs.get("spec")
    mine = _identity(spec)
    if stored is None:
        study.set_user_attr("spec", mine)
    elif stored != mine:
        raise ConfigError(
            f"sweep {spec.name} in {spec.storage_url()} was made with other axes/objectives/sampler; "
            f"choose another name or remove {spec.folder}"
        )
    return study


def _identity(spec: SweepSpec) -> dict:
    return json.loads(
        json.dumps(
            {
                k: spec.model_dump(mode="json")[k]
                for k in ("axes", "objectives", "constraints", "sampler", "fixed", "until")
            }
        )
    )


def check_axes(spec: SweepSpec, base: dict) -> None:
    """Every axis key exists in the run config: apply each axis' first value and validate."""
    from .trial import apply_overrides

    for key, axis in spec.axes.items():
        first = axis.grid()[0] if axis.grid() is not None else axis.log_range[0]
        try:
            config_from_dict(apply_overrides(base, {key: int(first) if axis.integer else first}))
        except ConfigError as e:
            raise ConfigError(f"sweep axis {key}: {e}") from None


def run_sweep(spec: SweepSpec, on_update: Callable[[Progress], None] | None = None) -> Any:
    """Run (or continue) a sweep to its total number of trials; returns the Optuna study."""
    from distributed import wait

    from .cluster import make_cluster, parallel_slots, trial_resources
    from .trial import apply_overrides, run_trial

    optuna = _optuna()
    base = apply_overrides(load_config(spec.base).model_dump(mode="json"), spec.fixed)
    if spec.pareto_checkpoints:
        base = apply_overrides(base, {"train.pareto_checkpoints": True})
    check_axes(spec, base)
    if spec.start_from is not None and not (spec.start_from / "config.yaml").is_file():
        raise ConfigError(
            f"start_from: {spec.start_from} is not a run folder (no config.yaml): run the base config first"
        )
    total = spec.grid_size() if spec.sampler.kind == "grid" else spec.trials
    spec.folder.mkdir(parents=True, exist_ok=True)
    runs_dir = str((spec.folder / "trials").resolve())
    with exclusive(spec.folder / ".lock", f"sweep {spec.name}"):
        study = open_study(spec)
        spec.save()
        dists = distributions(spec)
        cluster, client = make_cluster(spec.cluster)
        try:
            slots = parallel_slots(spec.cluster, client)
            pending: dict = {}

            def submit(number: int, params: dict) -> None:
                fut = client.submit(
                    run_trial,
                    base,
                    params,
                    runs_dir,
                    f"trial_{number:04d}",
                    spec.until,
                    spec.pareto_checkpoints,
                    str(spec.start_from) if spec.start_from else None,
                    key=f"hwcd-{spec.name}-trial-{number}",
                    retries=spec.retries,
                    pure=False,
                    resources=trial_resources(spec.cluster),
                )
                pending[fut] = number

            for t in study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.RUNNING]):
                log.info(
                    "sweep %s: trial %d was running when the driver stopped: resubmitted", spec.name, t.number
                )
                submit(t.number, t.params)
            while True:
                while len(pending) < slots and len(study.get_trials(deepcopy=False)) < total:
                    t = study.ask(dists)
                    submit(t.number, t.params)
                _report(study, total, len(pending), on_update)
                if not pending:
                    break
                done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
                for fut in done:
                    number = pending.pop(fut)
                    try:
                        result = fut.result()
                    except Exception as e:  # the trial's worker died too often, or a bug
                        result = {
                            "state": "fail",
                            "error": f"{type(e).__name__}: {e}"[:500],
                            "metrics": {},
                            "run": "",
                            "points": [],
                        }
                    _tell(study, spec, number, result)
            _report(study, total, 0, on_update)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return study


def _tell(study, spec: SweepSpec, number: int, result: dict) -> None:
    optuna = _optuna()
    trial = optuna.trial.Trial(
        study, study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    )
    metrics = result.get("metrics", {})
    trial.set_user_attr("run", result.get("run", ""))
    trial.set_user_attr("metrics", metrics)
    trial.set_user_attr("points", result.get("points", []))
    trial.set_user_attr("attempts", result.get("attempts", 0))
    violations = constraint_values(spec, metrics)
    trial.set_user_attr("constraints", violations)
    for c, v in zip(spec.constraints, violations, strict=True):
        trial.set_constraint(_constraint_name(c), v)
    values = [metrics.get(o.metric) for o in spec.objectives]
    if result["state"] != "complete" or any(v is None for v in values):
        missing = [o.metric for o, v in zip(spec.objectives, values, strict=True) if v is None]
        error = result.get("error") or f"objective metrics missing: {', '.join(missing)}"
        trial.set_user_attr("error", error)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        log.warning("sweep %s trial %d failed: %s", spec.name, number, error)
        return
    study.tell(trial, values)


def _constraint_name(c) -> str:
    return "fits_part" if c.fits_part else f"{c.metric}{c.op}{c.value:g}"


def _report(study, total: int, running: int, on_update) -> None:
    if on_update is None:
        return
    optuna = _optuna()
    states = [t.state for t in study.get_trials(deepcopy=False)]
    done = sum(s == optuna.trial.TrialState.COMPLETE for s in states)
    failed = sum(s == optuna.trial.TrialState.FAIL for s in states)
    on_update(Progress(total=total, done=done, running=running, failed=failed))
