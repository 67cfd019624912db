"""The ``model:`` section of ``kind: onnx_float``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from ...config_base import Section
from ...train.ptq import PTQConfig

__all__ = ["OnnxFloatConfig"]


class OnnxFloatConfig(Section):
    """A user's float ONNX model (``.onnx`` without Quant nodes), quantized after training."""

    kind: Literal["onnx_float"] = Field(description="Model family.")
    path: Path = Field(description="The .onnx file (float: no Quant / BipolarQuant / Trunc nodes).")
    ptq: PTQConfig = Field(default_factory=PTQConfig, description="Quantization of the float model.")
