"""Model frontends, registered by the config tag ``model.kind``.

A frontend is one module with:

* ``Config``: its pydantic ``model:`` section (``kind`` is the tag);
* ``check(config)``: cheap checks before any step runs (file readable, input shape equal to
  the data's, every layer supported), raising a one-line ``UserError``;
* ``prepare(run, out) -> StepResult``: the flow's model step (train, import, calibrate or
  quantize), writing the artifacts that step declares (``artifacts.py``).

Adding a frontend is that module plus one ``register_frontend`` line below
(see docs/extending.md). Modules are imported for their ``Config`` only; heavy frameworks
are imported inside their functions.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Discriminator, Tag

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import RunConfig

__all__ = [
    "FrontendSpec",
    "register_frontend",
    "get_frontend",
    "known_frontends",
    "frontend_of",
    "model_union",
]


@dataclass(frozen=True)
class FrontendSpec:
    """Where a frontend lives and which flow and quantization section it goes with."""

    tag: str
    module: str  # relative to this package, e.g. ".keras3"
    config: str  # its config class in that module
    flow: str  # the flow it feeds
    quantization: Literal["hgq2", "brevitas"] | None  # the quantization section it needs, if any
    description: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module, __package__)

    def config_class(self) -> type:
        return getattr(self.load(), self.config)


_REGISTRY: dict[str, FrontendSpec] = {}


def register_frontend(spec: FrontendSpec) -> FrontendSpec:
    if spec.tag in _REGISTRY and _REGISTRY[spec.tag] != spec:
        raise ValueError(f"frontend '{spec.tag}' is already registered")
    _REGISTRY[spec.tag] = spec
    return spec


def get_frontend(tag: str) -> FrontendSpec:
    try:
        return _REGISTRY[tag]
    except KeyError:
        raise ConfigError(f"unknown model.kind '{tag}'; known: {', '.join(_REGISTRY)}") from None


def known_frontends() -> list[FrontendSpec]:
    return list(_REGISTRY.values())


def frontend_of(config: RunConfig) -> FrontendSpec:
    return get_frontend(config.model.kind)


def model_union() -> Any:
    """The ``model:`` field type: a union of every registered frontend's config, chosen by
    ``kind`` (default ``jet_transformer``)."""

    def pick(v: Any) -> str:
        return v.get("kind", "jet_transformer") if isinstance(v, dict) else getattr(v, "kind", "")

    members = tuple(Annotated[spec.config_class(), Tag(spec.tag)] for spec in _REGISTRY.values())
    return Annotated[Union[members], Discriminator(pick)]  # noqa: UP007 - built at run time


for _spec in (
    FrontendSpec(
        "jet_transformer",
        ".jet_transformer",
        "JetTransformerConfig",
        "keras_hls4ml",
        "hgq2",
        "train hwcodesign's HGQ2 transformer jet tagger (and its float twin)",
    ),
    FrontendSpec(
        "jet_linear",
        ".jet_linear",
        "JetLinearConfig",
        "keras_hls4ml",
        "hgq2",
        "train hwcodesign's JEDI-linear-style HGQ2 jet tagger, linear in N (and its float twin)",
    ),
    FrontendSpec(
        "keras_file",
        ".keras3",
        "KerasFileConfig",
        "keras_hls4ml",
        None,
        "your Keras 3 .keras model: HGQ2 as is, float Keras quantized after training (PTQ)",
    ),
    FrontendSpec(
        "keras2_file",
        ".keras2",
        "Keras2FileConfig",
        "keras_hls4ml",
        None,
        "your Keras 2 / QKeras model (.h5, or .json + weights .h5), read in the legacy venv",
    ),
    FrontendSpec(
        "mlp", ".brevitas", "MLPConfig", "torch_finn", "brevitas", "train a Brevitas MLP (and float twin)"
    ),
    FrontendSpec(
        "vit",
        ".brevitas",
        "ViTConfig",
        "torch_finn",
        "brevitas",
        "train a Brevitas tiny ViT (and float twin)",
    ),
    FrontendSpec(
        "onnx_file",
        ".qonnx_file",
        "OnnxFileConfig",
        "qonnx_finn",
        None,
        "your QONNX / Brevitas-exported ONNX model",
    ),
):
    register_frontend(_spec)
