"""Frontend ``keras2_file``: Keras 2 / QKeras models (``.h5``, or ``.json`` + weights ``.h5``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ..config_base import Section

__all__ = ["Keras2FileConfig"]


class Keras2FileConfig(Section):
    """A Keras 2 / QKeras model file, read in the isolated legacy environment."""

    kind: Literal["keras2_file"] = Field(description="Model family.")
    path: Path = Field(description="The .h5 model, or the .json architecture.")
