"""What hwcodesign's jet (particle) families share: their input check and the float reference.

The float reference is what the jets allow when hardware does not matter: a pre-norm float
transformer (LayerNorm, GELU, several blocks, wider than anything that fits a trigger budget)
on exactly the hardware model's inputs. Its test accuracy says how far the hardware model is
from what these jets and these N x F inputs support (``train.float_reference: true``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .reference import REFERENCE_SHAPE, build_float_reference

if TYPE_CHECKING:
    from ..config import RunConfig

__all__ = ["check_particle_inputs", "build_float_reference", "REFERENCE_SHAPE"]


def check_particle_inputs(config: RunConfig) -> None:
    """The particle models need per-particle inputs: (particles, features); and a distillation
    teacher they can use (``models/teachers.py``).

    Raises:
        ConfigError: the data are flat (e.g. the 16-feature hls4ml table), or the teacher does not
            fit (see :func:`~hwcodesign.models.teachers.check_keras_distill`).
    """
    from ..data.load import input_shape
    from ..errors import ConfigError

    shape = input_shape(config.data)
    if len(shape) != 2:
        raise ConfigError(
            f"model.kind {config.model.kind} needs per-particle inputs (particles, features), but the "
            f"data give {shape} per sample; use data.source pythia/sample/hls4ml_zenodo, or bring "
            f"a model for flat inputs (model.kind keras_file)"
        )
    from .teachers import check_keras_distill

    check_keras_distill(config)
