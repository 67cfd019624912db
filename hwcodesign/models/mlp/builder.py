"""The Brevitas MLP: Flatten -> [Linear -> ReLU] x len(hidden) -> Linear, inputs signed-quantized."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..brevitas_layers import QuantLayers

if TYPE_CHECKING:
    from torch import nn

    from ...config import BrevitasQuantConfig
    from .config import MLPConfig

__all__ = ["build_mlp", "build_torch"]


def build_mlp(
    in_features: int, n_classes: int, cfg: MLPConfig, quant: BrevitasQuantConfig | None
) -> nn.Module:
    """Flatten -> [Linear -> ReLU] x len(hidden) -> Linear. Inputs are signed-quantized."""
    from torch import nn

    q = QuantLayers(quant)
    layers: list[nn.Module] = [nn.Flatten(), q.act(quant.input_bits if quant else None)]
    prev = in_features
    for h in cfg.hidden:
        layers += [q.linear(prev, h), q.relu()]
        prev = h
    layers += [q.linear(prev, n_classes), q.act(quant.output_bits if quant else None)]
    return nn.Sequential(*layers)


def build_torch(
    cfg: MLPConfig, input_shape: tuple[int, ...], n_classes: int, quant: BrevitasQuantConfig | None
):
    """The family's builder (``ModelFamily.build_torch``): inputs flattened."""
    import numpy as np

    return build_mlp(int(np.prod(input_shape)), n_classes, cfg, quant)
