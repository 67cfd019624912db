"""The checks of ``kind: vit``; its model step is the PyTorch families' (``torch_twins``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..torch_twins import check_labels

if TYPE_CHECKING:
    from ...config import RunConfig

__all__ = ["check"]


def check(config: RunConfig) -> None:
    """A ViT needs images (channels, height, width) divisible into patches, and labels.

    Raises:
        ConfigError: the data are not such images, or unlabelled.
    """
    from ...data.load import input_shape
    from ...errors import ConfigError

    shape = input_shape(config.data)
    p = config.model.patch_size
    if len(shape) != 3 or shape[1] % p or shape[2] % p:
        raise ConfigError(
            f"model.kind vit needs images (channels, height, width) divisible into {p}x{p} "
            f"patches (model.patch_size); the data give {shape} per sample"
        )
    check_labels(config)
    if config.model.uses_integer_kernels and getattr(config.quantization, "scaling", "po2") != "po2":
        raise ConfigError(
            "model.softmax/norm/adds/mlp_activation ask for integer kernels, which shift by their input "
            f"scales: they need quantization.scaling: po2 (it is {config.quantization.scaling})"
        )
