"""The ``model:`` section of ``kind: keras_file``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ...config_base import Section
from ...train.ptq import PTQConfig

__all__ = ["KerasFileConfig"]


class KerasFileConfig(Section):
    """A user's trained Keras 3 model (``.keras``): HGQ2 as is, or float + PTQ."""

    kind: Literal["keras_file"] = Field(description="Model family.")
    path: Path = Field(description="The .keras file.")
    calibrate: bool = Field(True, description="HGQ2 models: run trace_minmax on the training data.")
    custom_objects_module: str | None = Field(
        None, description="A Python module to import first, which registers your custom layers."
    )
    ptq: PTQConfig = Field(default_factory=PTQConfig, description="Quantization of a float model.")
