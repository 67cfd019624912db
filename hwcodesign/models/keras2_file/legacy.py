"""The legacy Keras 2 / QKeras environment (``.venv-legacy``): Keras 2 and QKeras cannot share
the main environment (QKeras 0.9 and hgq2 both install a ``qkeras`` package; Keras 2 needs
tf-keras), so a model file is read by ``legacy_export.py`` running there. It writes the layer
graph, the weights as QKeras quantizes them and, on request, QKeras' own predictions.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .config import Keras2FileConfig

__all__ = ["legacy_python", "export_spec", "run_legacy", "EXPORT_SCRIPT", "LEGACY_INSTALL"]

EXPORT_SCRIPT = Path(__file__).with_name("legacy_export.py")
LEGACY_INSTALL = "make legacy-venv  (part of `make install`: tf-keras + qkeras in .venv-legacy)"


def legacy_python(cfg: Keras2FileConfig) -> Path:
    """The legacy venv's Python.

    Raises:
        ToolNotFoundError: no legacy venv.
    """
    from ...errors import ToolNotFoundError

    candidates = (
        [cfg.legacy_python]
        if cfg.legacy_python
        else [Path(sys.prefix).parent / ".venv-legacy" / "bin" / "python"]
    )
    for c in candidates:
        if c is not None and c.is_file():
            return c
    raise ToolNotFoundError(
        "the legacy Keras 2 / QKeras venv",
        "train (model.kind keras2_file)",
        LEGACY_INSTALL,
        "Keras 3 models (keras_file) and QONNX files (onnx_file) work without it",
    )


def weights_file(cfg: Keras2FileConfig) -> Path | None:
    if cfg.path.suffix != ".json":
        return None
    return cfg.weights or cfg.path.with_name(f"{cfg.path.stem}_weights.h5")


def flavour_of(cfg: Keras2FileConfig) -> str:
    """qkeras3 for a Keras 3 ``.keras`` file (QKeras for Keras 3), else keras2 (tf_keras, QKeras
    0.9, HGQ v1)."""
    return "qkeras3" if cfg.path.suffix == ".keras" else "keras2"


def run_legacy(cfg: Keras2FileConfig, args: list[str], workdir: Path) -> None:
    from ...environment import child_env
    from ...errors import DataNotFoundError
    from ...tools.process import run_logged

    weights = weights_file(cfg)
    cmd = [legacy_python(cfg), "-I", EXPORT_SCRIPT, *args, "--flavour", flavour_of(cfg)]
    if weights is not None:
        cmd += ["--weights", weights]
    if cfg.custom_objects_module:
        cmd += ["--custom", cfg.custom_objects_module]
    legacy = "0" if flavour_of(cfg) == "qkeras3" else "1"
    env = child_env(TF_USE_LEGACY_KERAS=legacy, TF_CPP_MIN_LOG_LEVEL="3")
    res = run_logged("keras2-export", cmd, workdir, workdir / f"legacy_{args[0]}.log", env=env, check=False)
    if res.returncode == 3:
        line = next((ln for ln in res.log().splitlines() if ln.startswith("USER ERROR: ")), "")
        raise DataNotFoundError(line.removeprefix("USER ERROR: ") or f"the legacy venv refused {cfg.path}")
    if not res.ok:
        from ...errors import ToolError
        from ...tools.process import tail

        raise ToolError(
            "keras2-export (legacy venv)", res.command, workdir, res.returncode, tail(res.log()), res.log_file
        )


def export_spec(cfg: Keras2FileConfig, cache_root: Path | None) -> tuple[dict, dict[str, np.ndarray]]:
    """The model's layer graph and weights, read in the legacy venv (cached by file content)."""
    from ...cache import ContentCache, cache_dir
    from ...errors import DataNotFoundError

    h = hashlib.sha256(EXPORT_SCRIPT.read_bytes())
    if not cfg.path.is_file():
        raise DataNotFoundError(f"model file not found: {cfg.path} (model.path)")
    weights = weights_file(cfg)
    if weights is not None and not weights.is_file():
        raise DataNotFoundError(
            f"{cfg.path.name} holds only the architecture; its weights {weights} were not found "
            f"(model.weights, or <name>_weights.h5 next to the .json)"
        )
    for f in (cfg.path, weights):
        if f is not None:
            h.update(f.read_bytes())
    h.update(f"{cfg.custom_objects_module}|{flavour_of(cfg)}".encode())
    entry, _ = ContentCache(cache_dir("keras2", cache_root)).get_or_make(
        h.hexdigest()[:20], lambda d: run_legacy(cfg, ["spec", str(cfg.path), str(d)], d)
    )
    with np.load(entry / "weights.npz") as f:
        arrays = {k: f[k] for k in f.files}
    return json.loads((entry / "spec.json").read_text()), arrays
