"""The ``model:`` section of ``kind: onnx_file``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ...config_base import Section

__all__ = ["OnnxFileConfig"]


class OnnxFileConfig(Section):
    """A user's QONNX / Brevitas-exported ONNX model (``.onnx``)."""

    kind: Literal["onnx_file"] = Field(description="Model family.")
    path: Path = Field(description="The .onnx file (QONNX: Quant / BipolarQuant / Trunc nodes).")
