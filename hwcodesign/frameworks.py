"""Imports of the heavy ML frameworks, in one place, with install hints when absent.

Also the fixes for known version traps between them (see docs/findings.md), each in
one function, applied by the import helper that needs it.
"""

from __future__ import annotations

from types import ModuleType

from .environment import quiet_tensorflow
from .errors import MissingDependencyError

__all__ = ["import_keras", "import_hls4ml", "import_torch", "versions"]

_INSTALL = "make install  (creates .venv with the pinned versions)"


def import_keras() -> ModuleType:
    """Import Keras 3 (TensorFlow back end) with TensorFlow's start-up chatter silenced, and
    register HGQ2's layers."""
    quiet_tensorflow()
    try:
        import hgq  # noqa: F401  (registers the Q-layers for model loading)
        import keras
    except ImportError as e:
        raise MissingDependencyError(e.name or "keras", "the Keras/HGQ2 flow", _INSTALL) from None
    return keras


def import_hls4ml() -> ModuleType:
    """Import hls4ml with the HGQ2 layer paths registered (see ``register_hgq2_paths``)."""
    import_keras()
    try:
        import hls4ml
    except ImportError as e:
        raise MissingDependencyError(e.name or "hls4ml", "conversion with hls4ml", _INSTALL) from None
    register_hgq2_paths()
    return hls4ml


def register_hgq2_paths() -> None:
    """hls4ml 1.3.0 registers HGQ2's attention layers under their old module paths
    (``hgq.layers.multi_head_attention``); hgq2 0.2.0 moved them to ``hgq.layers.attn``.
    Without the alias, conversion fails with 'The name "keras_tensorCLONE" is used 2 times'.
    """
    import hls4ml.converters.keras_v3_to_hls  # noqa: F401  (fills the registry)
    from hls4ml.converters.keras_v3._base import registry

    moved = {
        "hgq.layers.multi_head_attention.QMultiHeadAttention": "hgq.layers.attn.mha.QMultiHeadAttention",
        "hgq.layers.linformer_attention.QLinformerAttention": "hgq.layers.attn.linformer.QLinformerAttention",
    }
    for old, new in moved.items():
        if old in registry and new not in registry:
            registry[new] = registry[old]


def import_torch() -> ModuleType:
    try:
        import torch
    except ImportError as e:
        raise MissingDependencyError("torch", "the PyTorch/Brevitas flow", _INSTALL) from e
    return torch


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of the named distributions ('not installed' when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in packages:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "not installed"
    return out
