"""The run's PyTorch model (quantized, or its float twin), built by its family's ``build_torch``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import RunConfig

__all__ = ["build_torch_model"]


def build_torch_model(cfg: RunConfig, input_shape: tuple[int, ...], n_classes: int, quantized: bool):
    """The run's model (quantized, or its float twin), built by its family's ``build_torch``.

    Raises:
        ConfigError: the family builds no PyTorch model.
    """
    from ..errors import ConfigError
    from ..families import FAMILIES
    from ..frameworks import import_torch

    build = FAMILIES.get(cfg.model.kind).load("build_torch")
    if build is None:
        raise ConfigError(f"model.kind {cfg.model.kind} has no PyTorch model (it is not trained by torch)")
    import_torch().manual_seed(cfg.train.seed)
    return build(cfg.model, tuple(input_shape), n_classes, cfg.quantization if quantized else None)
