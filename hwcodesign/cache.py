"""Where content-addressed caches live (generated jets, Verilator builds, Yosys results)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(kind: str) -> Path:
    """``$XDG_CACHE_HOME/hwcodesign/<kind>`` (default ``~/.cache/hwcodesign/<kind>``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hwcodesign" / kind
