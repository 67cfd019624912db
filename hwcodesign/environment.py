"""The process environment: the one module of hwcodesign that reads or writes ``os.environ``.

What is read: the cache root (``XDG_CACHE_HOME``), whether Vivado's settings are sourced
(``XILINX_VIVADO``). What is written, and why: the quiet start-up settings of TensorFlow/Keras
(before they are imported), and finn-plus' ``FINN_BUILD_DIR`` (finn-plus reads its settings
from the environment only; ``backends/finn/settings.finn_session`` scopes and restores it).
Child processes get a copy of the environment plus what they need (:func:`child_env`).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "cache_home",
    "vivado_sourced",
    "child_env",
    "quiet_tensorflow",
    "finn_build_dir",
    "set_finn_build_dir",
]


def cache_home() -> Path:
    """``$XDG_CACHE_HOME`` or ``~/.cache``: where ``hwcodesign/<kind>`` caches live by default."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def vivado_sourced() -> bool:
    """Whether Vivado's ``settings64.sh`` was sourced (``XILINX_VIVADO`` set)."""
    return bool(os.environ.get("XILINX_VIVADO"))


def child_env(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process: ours (or ``base``) plus ``extra``."""
    return {**(os.environ if base is None else base), **extra}


def quiet_tensorflow(log_level: str = "3") -> None:
    """TensorFlow / Keras start-up settings, unless the user set them (before importing them)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", log_level)
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def finn_build_dir() -> str | None:
    return os.environ.get("FINN_BUILD_DIR")


def set_finn_build_dir(path: Path | str | None) -> None:
    """Point finn-plus at a build folder (None: unset)."""
    if path is None:
        os.environ.pop("FINN_BUILD_DIR", None)
    else:
        os.environ["FINN_BUILD_DIR"] = str(path)
