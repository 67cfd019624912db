"""The ``model:`` section of ``kind: keras2_file``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ...config_base import Section
from ...train.ptq import PTQConfig

__all__ = ["Keras2FileConfig"]


class Keras2FileConfig(Section):
    """A Keras 2 / QKeras / HGQ v1 model file, or a QKeras-for-Keras-3 ``.keras`` file, read in the
    isolated legacy environment by the framework that wrote it."""

    kind: Literal["keras2_file"] = Field(description="Model family.")
    path: Path = Field(
        description="The .h5 model, the .json architecture, or a .keras file with QKeras (Keras 3) layers."
    )
    weights: Path | None = Field(
        None, description="Weights of a .json architecture (default: <name>_weights.h5 next to it)."
    )
    custom_objects_module: str | None = Field(
        None, description="Module importable in .venv-legacy whose `custom_objects` dict holds your layers."
    )
    rounding: Literal["qkeras", "rnd"] = Field(
        "qkeras",
        description="Activation rounding: qkeras (half to even, exactly QKeras; no da4ml RTL) or rnd "
        "(half up, RTL path; ties may differ from QKeras).",
    )
    ptq: PTQConfig = Field(default_factory=PTQConfig, description="Float layers and the input quantizer.")
    legacy_python: Path | None = Field(None, description="Python of the legacy venv (default: .venv-legacy).")

    @model_validator(mode="after")
    def _weights_next_to_a_json(self) -> Keras2FileConfig:
        """A .json architecture's weights file, named: it is an input like the .json itself (a
        replaced weights file makes the model step run again)."""
        if self.weights is None and self.path.suffix == ".json":
            object.__setattr__(self, "weights", self.path.with_name(f"{self.path.stem}_weights.h5"))
        return self
