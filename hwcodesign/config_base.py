"""The base of every config section: frozen, unknown keys refused (a typo names its key).

Kept apart from ``config.py`` so that frontend modules can define their own model sections
(``models/<family>/config.py``) without importing the run config.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Section", "heads_divide"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def heads_divide(embed_dim: int, num_heads: int) -> None:
    """Raise ValueError unless the embedding splits evenly into heads."""
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
