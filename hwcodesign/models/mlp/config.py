"""The ``model:`` section of ``kind: mlp``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...config_base import Section

__all__ = ["MLPConfig"]


class MLPConfig(Section):
    """Brevitas multilayer perceptron (e.g. 64-64-64-10 on digits)."""

    kind: Literal["mlp"] = Field(description="Model family.")
    hidden: tuple[int, ...] = Field((64, 64), min_length=1, description="Hidden layer widths.")
