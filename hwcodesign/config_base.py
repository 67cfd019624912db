"""The base of every config section: frozen, unknown keys refused (a typo names its key).

Kept apart from ``config.py`` so that frontend modules can define their own model sections
(``models/<family>/config.py``) without importing the run config.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["Section", "heads_divide", "omit_defaults"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def heads_divide(embed_dim: int, num_heads: int) -> None:
    """Raise ValueError unless the embedding splits evenly into heads."""
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")


def omit_defaults(data: Any, defaults: dict[str, Any]) -> Any:
    """Drop the fields of ``defaults`` that hold their default (an option off) from a dump, so that
    a run which does not use an option added later keeps the config (and the step hashes) it had."""
    if isinstance(data, dict):
        for name, default in defaults.items():
            if name in data and data[name] == default:
                del data[name]
    return data
