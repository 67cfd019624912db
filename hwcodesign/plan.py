"""A run's plan: the steps of its flow, what each reads and writes, and where every artifact lives.

The flow layer resolves a flow into a :class:`Plan` and the runner writes it into the run
folder (``plan.json``) before any step runs; everything below the flow layer (artifacts, the
report, steps that look at other steps) reads the run's own plan, never the flow registry.
So a run folder says by itself which steps it has and where their outputs are.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .errors import ConfigError

__all__ = ["Plan", "PlannedStep", "PLAN_FILE", "PLAN_FORMAT", "ALL_EARLIER"]

PLAN_FILE = "plan.json"
#: Bumped when the meaning of the file changes; a run folder with another format is refused.
PLAN_FORMAT = 1
#: ``reads`` of a step that reads everything the flow made before it (the report).
ALL_EARLIER = ("*",)


class PlannedStep(BaseModel):
    """One step of a run: its name, output folder, artifacts read and written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    folder: str = Field(description="Output folder under the run root.")
    reads: tuple[str, ...] = Field(description="Artifact names; ('*',): everything made before it.")
    writes: tuple[str, ...] = Field(description="Artifact names, all inside ``folder``.")
    description: str = ""


class Plan(BaseModel):
    """The resolved flow of a run, as written to ``<run>/plan.json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = PLAN_FORMAT
    flow: str
    steps: tuple[PlannedStep, ...]
    artifacts: dict[str, str] = Field(description="artifact -> path relative to the run root")

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    def step(self, name: str) -> PlannedStep:
        """The planned step called ``name``.

        Raises:
            ConfigError: the flow has no such step (the message lists its steps).
        """
        for s in self.steps:
            if s.name == name:
                return s
        raise ConfigError(
            f"step '{name}' is not part of flow {self.flow}; its steps: {', '.join(self.step_names)}"
        )

    def producer(self, artifact: str) -> PlannedStep:
        """The step that writes ``artifact``.

        Raises:
            ConfigError: no step of the flow writes it.
        """
        for s in self.steps:
            if artifact in s.writes:
                return s
        raise ConfigError(f"flow {self.flow} has no step that writes '{artifact}'")

    def upstream(self, name: str) -> list[str]:
        """The steps whose outputs step ``name`` reads, in flow order."""
        names = self.step_names
        me = self.step(name)
        earlier = self.steps[: names.index(name)]
        if me.reads == ALL_EARLIER:
            return [s.name for s in earlier]
        return [s.name for s in earlier if set(s.writes) & set(me.reads)]

    def folder_of(self, step: str) -> str:
        return self.step(step).folder
