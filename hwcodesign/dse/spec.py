"""A sweep: a base run config, axes over any config key, objectives, constraints, a sampler,
and where the trials run. YAML (``configs/sweeps/*.yaml``) or the same from Python."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from ..config_base import Section
from ..errors import ConfigError

__all__ = ["Axis", "Objective", "Constraint", "Sampler", "Cluster", "SweepSpec", "load_sweep", "SPEC_FILE"]

#: The spec a sweep was run with, kept in its folder (``hwcodesign sweep show <folder>``).
SPEC_FILE = "sweep.yaml"


class Axis(Section):
    """One swept config key: exactly one of values / range / log_range."""

    values: list[Any] | None = Field(None, description="Explicit values (any YAML values).")
    range: tuple[float, float, float] | None = Field(None, description="[low, high, step], inclusive.")
    log_range: tuple[float, float] | None = Field(None, description="[low, high] sampled on a log scale.")
    integer: bool = Field(False, description="Values of range/log_range are integers.")

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        kinds = [k for k in ("values", "range", "log_range") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"an axis needs exactly one of values, range, log_range (got {kinds or 'none'})")
        if self.values is not None and not self.values:
            raise ValueError("values must not be empty")
        if self.range is not None and (self.range[2] <= 0 or self.range[1] < self.range[0]):
            raise ValueError("range is [low, high, step] with low <= high and step > 0")
        if self.log_range is not None and not 0 < self.log_range[0] < self.log_range[1]:
            raise ValueError("log_range is [low, high] with 0 < low < high")
        return self

    def grid(self) -> list[Any] | None:
        """The axis' points for a grid sweep (None for a continuous log range)."""
        if self.values is not None:
            return list(self.values)
        if self.range is not None:
            low, high, step = self.range
            n = int(math.floor((high - low) / step + 1e-9)) + 1
            pts = [low + k * step for k in range(n)]
            return [int(round(p)) for p in pts] if self.integer else [round(p, 12) for p in pts]
        return None


class Objective(Section):
    metric: str = Field(description="A metric of the trial's run, e.g. accuracy_quantized, latency_ns, lut.")
    direction: Literal["maximize", "minimize"]


class Constraint(Section):
    """metric op value, e.g. ii_cycles == 1, latency_ns <= 100; or fits_part: true."""

    metric: str | None = None
    op: Literal["<=", ">=", "=="] = "<="
    value: float | None = None
    fits_part: bool = Field(False, description="LUT, FF, DSP of the best resource source fit the part.")

    @model_validator(mode="after")
    def _complete(self) -> Constraint:
        if not self.fits_part and (self.metric is None or self.value is None):
            raise ValueError("a constraint needs metric, op and value, or fits_part: true")
        return self


class Sampler(Section):
    kind: Literal["grid", "random", "tpe", "nsga2"] = "random"
    seed: int = 1
    population: int = Field(8, ge=2, description="NSGA-II population size.")


class Cluster(Section):
    """Where trials run: a LocalCluster (default), a batch system through dask-jobqueue, or a
    running Dask scheduler."""

    kind: Literal["local", "slurm", "htcondor", "pbs", "address"] = "local"
    workers: int = Field(0, ge=0, description="local: worker processes (0 = one per core, at most 4).")
    address: str | None = Field(None, description="kind address: tcp://host:port of a scheduler.")
    cores: int = Field(2, ge=1, description="batch: cores per job (one trial per job).")
    memory: str = Field("16GB", description="batch: memory per job.")
    walltime: str = Field(
        "04:00:00", pattern=r"^\d+:\d\d:\d\d$", description="batch: wall time per job (HH:MM:SS)."
    )
    disk: str = Field("10GB", description="htcondor: scratch disk per job.")
    queue: str | None = Field(None, description="batch: queue / partition.")
    account: str | None = Field(None, description="batch: account / project.")
    minimum_jobs: int = Field(0, ge=0, description="batch: adapt(minimum_jobs=...).")
    maximum_jobs: int = Field(8, ge=1, description="batch: adapt(maximum_jobs=...).")
    job_extra: list[str] = Field(
        default_factory=list,
        description="batch: extra directives (slurm/pbs: '--constraint=x'; htcondor: 'key = value').",
    )
    python: str | None = Field(None, description="batch: the Python the jobs run (default: this one).")


class SweepSpec(Section):
    """What to sweep and how."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", max_length=100, description="Sweep folder name."
    )
    base: Path = Field(description="The run config each trial starts from.")
    runs_dir: Path = Field(Path("runs"), description="Parent of the sweep folder runs_dir/<name>/.")
    until: str | None = Field(None, description="Last step of each trial (default: the whole flow).")
    start_from: Path | None = Field(
        None,
        description="A finished run folder (made from ``base``) copied into each new trial folder: "
        "the steps a trial's settings do not change stay cached (a folding sweep keeps the trained model).",
    )
    trials: int = Field(8, ge=1, le=100_000, description="Trials in total (a grid has its own size).")
    axes: dict[str, Axis] = Field(min_length=1, description="Config key (dotted) -> axis.")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Config keys set in every trial.")
    objectives: list[Objective] = Field(min_length=1)
    constraints: list[Constraint] = Field(default_factory=list)
    sampler: Sampler = Field(default_factory=Sampler)
    cluster: Cluster = Field(default_factory=Cluster)
    storage: str | None = Field(None, description="Optuna RDB URL (default: sqlite in the sweep folder).")
    retries: int = Field(2, ge=0, description="Dask retries of a trial whose worker died.")
    pareto_checkpoints: bool = Field(
        False, description="Also store HGQ2's in-training Pareto checkpoints (accuracy vs EBOPs) as points."
    )

    @property
    def folder(self) -> Path:
        return self.runs_dir / self.name

    def save(self) -> None:
        """Keep the spec in the sweep folder (absolute paths), for ``sweep show <folder>``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)
        (self.folder / SPEC_FILE).write_text(text)

    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.folder / 'study.db').resolve()}"

    def grid_size(self) -> int:
        size = 1
        for key, axis in self.axes.items():
            pts = axis.grid()
            if pts is None:
                raise ConfigError(f"sampler grid needs finite axes; {key} is a log_range (use values)")
            size *= len(pts)
        return size


def load_sweep(path: str | Path, overrides: dict[str, Any] | None = None) -> SweepSpec:
    """Read a sweep spec (paths resolved against its folder).

    Raises:
        ConfigError: missing file, bad YAML, or an invalid spec (naming the key).
    """
    path = Path(path)
    if path.is_dir():  # a sweep folder: the spec the sweep was run with
        path = path / SPEC_FILE
    if not path.is_file():
        raise ConfigError(f"sweep spec not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from None
    raw.update(overrides or {})
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"invalid sweep spec {path.name}: {problems}") from None
    base = path.resolve().parent
    start = spec.start_from
    if start is not None:
        start = start if start.is_absolute() else (base / start).resolve()
    return spec.model_copy(
        update={
            "base": spec.base if spec.base.is_absolute() else (base / spec.base).resolve(),
            "runs_dir": spec.runs_dir if spec.runs_dir.is_absolute() else (base / spec.runs_dir).resolve(),
            "start_from": start,
        }
    )
