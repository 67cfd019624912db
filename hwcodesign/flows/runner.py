"""The runner: executes a flow (or part of it) on a run folder.

The flow is resolved into the run's plan, written to ``plan.json`` before any step runs. A
step is skipped when its last successful record has the same inputs hash (config sections it
depends on + the output hashes of the steps it reads) and its outputs still match their
manifest. Everything runs under the run folder's lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..config import RunConfig
from ..errors import Interrupted, RunExistsError, StepOrderError, interrupt_behind
from ..plan import Plan
from ..records import StepRecord
from ..run import Run, folder_manifest, hash_json, manifest_hash
from ..steps import StepSpec
from .spec import check_flow_fits, flow_steps, make_plan, select_steps

__all__ = ["run_flow", "StepEvent", "preflight"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepEvent:
    step: str
    state: Literal["start", "cached", "done", "failed", "damaged"]
    record: StepRecord | None = None
    error: BaseException | None = None
    message: str = ""


def run_flow(
    config: RunConfig,
    until: str | None = None,
    only: str | None = None,
    force: bool = False,
    overwrite: bool = False,
    on_event: Callable[[StepEvent], None] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    root: Path | None = None,
) -> Run:
    """Run the config's flow (or part of it) and return the run.

    Args:
        config: the run config.
        until: stop after this step.
        only: run just this step (its inputs must exist already).
        force: re-run the selected steps even when their inputs are unchanged.
        overwrite: allow replacing a run folder made with a different config (or a damaged one).
        on_event: called when a step starts, is cached, finishes, fails or is found damaged.
        on_progress: passed to steps for their long loops: (what, done, total).
        root: the run folder (default ``config.runs_dir / config.name``).

    Raises:
        RunExistsError: the folder holds a run with another config and overwrite is False,
            or it is not a run folder at all.
        RunLockedError: another process holds the run folder.
        UserError / InternalError: from the checks or the steps (failures are recorded).
    """
    check_flow_fits(config)
    plan = make_plan(config.flow)
    specs = {s.name: s for s in flow_steps(config.flow)}
    planned = select_steps(plan, until, only)  # unknown step names fail before anything is touched
    run = Run(config, root)
    run.check_location()
    # fail fast: a run with work to do is checked before anything is created
    looks_done = not force and all(_recorded_ok(run, name) for name in planned)
    if not looks_done:
        preflight(config, [specs[n] for n in planned])
    run.create()
    run.on_progress = on_progress
    emit = on_event or (lambda e: None)
    with run.lock():
        _guard_existing(run, overwrite)
        run.write_config()
        run.write_plan(plan)
        verified: dict[str, str] = {}  # step -> outputs hash, checked or made in this call
        checked = not looks_done  # the preflight above covers this call
        for i, name in enumerate(planned):
            spec = specs[name]
            inputs_hash = _inputs_hash(run, spec, plan, verified)
            old, damaged = run.read_record(name)
            if damaged:
                emit(StepEvent(name, "damaged", message=f"{damaged}: re-running step '{name}'"))
            if not force and old is not None and old.status == "ok" and old.inputs_hash == inputs_hash:
                problem = run.output_damage(name, spec.folder, old)
                if problem is None:
                    verified[name] = old.outputs_hash
                    emit(StepEvent(name, "cached", old))
                    continue
                emit(StepEvent(name, "damaged", message=f"{problem}: re-running step '{name}'"))
            if not checked:  # a step thought complete must run: check what is left first
                preflight(config, [specs[n] for n in planned[i:]])
                checked = True
            emit(StepEvent(name, "start"))
            try:
                record = _execute(run, spec, inputs_hash)
            except BaseException as e:
                emit(StepEvent(name, "failed", run.record(name), e))
                raise
            verified[name] = record.outputs_hash
            emit(StepEvent(name, "done", record))
    return run


def _recorded_ok(run: Run, step: str) -> bool:
    rec = run.record(step)
    return rec is not None and rec.status == "ok"


def preflight(config: RunConfig, steps: list[StepSpec]) -> None:
    """Run the cheap checks of ``steps`` (config against model, data and tools).

    Raises:
        UserError: the first problem found, in one line.
    """
    from ..families import FAMILIES
    from ..registry import resolve

    family = FAMILIES.get(config.model.kind)
    extra = dict(family.step_checks)
    for spec in steps:
        check = spec.load_check()
        if check is not None:
            check(config)
        if spec.name in extra:
            resolve(extra[spec.name], f"model family {family.kind}: check of step {spec.name}")(config)


def _guard_existing(run: Run, overwrite: bool) -> None:
    if overwrite:
        return
    stored = run.stored_config()
    if stored is None:
        return
    new = run.config.model_dump(mode="json")
    # a setting added to hwcodesign after the run was made counts with its default value
    with contextlib.suppress(ValueError):
        stored = type(run.config).model_validate(stored).model_dump(mode="json")
    # where the folder lives and what it is called do not change what it holds
    changed = sorted(k for k in _diff(stored, new) if k not in ("runs_dir", "name"))
    if changed:
        shown = ", ".join(changed[:6]) + (" ..." if len(changed) > 6 else "")
        raise RunExistsError(
            f"{run.root} holds a run made with a different config (changed: {shown}); "
            f"choose another name, or pass --overwrite to replace its outdated steps"
        )


def _diff(a, b, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        return [d for k in keys for d in _diff(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [prefix.rstrip(".")] if a != b else []


def _inputs_hash(run: Run, spec: StepSpec, plan: Plan, verified: dict[str, str]) -> str:
    upstream = {}
    for name in plan.upstream(spec.name):
        if name not in verified:
            rec = run.record(name)
            if rec is None or rec.status != "ok":
                raise StepOrderError(
                    f"step '{spec.name}' reads the output of step '{name}', which has not run "
                    f"successfully in {run.root}; run the flow up to '{name}' first"
                )
            problem = run.output_damage(name, plan.folder_of(name), rec)
            if problem is not None:
                raise StepOrderError(
                    f"step '{spec.name}' reads the output of step '{name}', which is damaged "
                    f"({problem}); run the flow up to '{name}' again"
                )
            verified[name] = rec.outputs_hash
        upstream[name] = verified[name]
    cfg = {key: _dump(run.config.section(key)) for key in spec.config_keys}
    inputs = {"step": spec.name, "version": spec.version, "config": cfg, "up": upstream}
    files = {p: d for key in spec.config_keys for p, d in _file_digests(run.config.section(key)).items()}
    if files:  # a file replaced at the same path (your model, your data) is a new input
        inputs["files"] = files
    return hash_json(inputs)


def _dump(v):
    return v.model_dump(mode="json") if hasattr(v, "model_dump") else v


def _file_digests(section) -> dict[str, str]:
    """SHA-256 of every existing file named by a ``Path`` field of a config section (recursively;
    a file next to a .json model, e.g. its weights, comes with the path of that field)."""
    from pathlib import Path

    from ..cache import file_digest

    out: dict[str, str] = {}
    if not hasattr(section, "model_fields"):
        return out
    for name in type(section).model_fields:
        value = getattr(section, name)
        if isinstance(value, Path) and value.is_file():
            out[str(value)] = file_digest(value)
        elif hasattr(value, "model_fields"):
            out.update(_file_digests(value))
    return out


def _execute(run: Run, spec: StepSpec, inputs_hash: str) -> StepRecord:
    func = spec.load()
    run.forget(spec.name)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    handler = _attach_log(run, spec.name)
    try:
        with run.staging(spec.folder) as out:
            result = func(run, out)
    except BaseException as e:
        stop = interrupt_behind(e)
        record = StepRecord(
            step=spec.name,
            status="failed",
            seconds=time.perf_counter() - t0,
            started_at=started,
            inputs_hash=inputs_hash,
            message=_failure_message(stop or e),
        )
        run.write_record(record)
        if stop is not None and stop is not e:  # an interrupt that came back wrapped
            raise stop from None
        raise
    finally:
        logging.getLogger("hwcodesign").removeHandler(handler)
        handler.close()
    manifest = folder_manifest(run.root / spec.folder)
    record = StepRecord(
        step=spec.name,
        status="ok",
        seconds=round(time.perf_counter() - t0, 3),
        started_at=started,
        inputs_hash=inputs_hash,
        outputs_hash=manifest_hash(manifest),
        tools=result.tools,
        metrics=result.metrics,
        report=result.report,
        info=result.info,
        message=result.message,
    )
    run.write_record(record, manifest)
    log.info("step %s done in %.1f s", spec.name, record.seconds)
    return record


def _failure_message(e: BaseException) -> str:
    if isinstance(e, KeyboardInterrupt | Interrupted):
        return f"interrupted ({'Ctrl-C' if isinstance(e, KeyboardInterrupt) else e})"
    return f"{type(e).__name__}: {e}"[:2000]


def _attach_log(run: Run, step: str) -> logging.Handler:
    path = run.root / "steps" / f"{step}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    ours = logging.getLogger("hwcodesign")
    ours.addHandler(handler)
    if ours.level == logging.NOTSET or ours.level > logging.INFO:
        ours.setLevel(logging.INFO)
    return handler
