"""Model families: where a run's model comes from, registered by ``model.kind``.

A family is one folder, ``hwcodesign/models/<family>/``, holding its config section, builder,
checks and model step, plus one registration (``FAMILIES.register(ModelFamily(...))``, the
built-in ones in ``hwcodesign/models/__init__.py``; plugins through the entry-point group
``hwcodesign.model_families``). The run config's ``model:``
section is validated by the config class of its ``kind``, looked up here when a config is read,
so a family registered by a plugin is accepted like a built-in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .registry import Ref, Registry, resolve

if TYPE_CHECKING:
    from pathlib import Path

    from .config_base import Section

__all__ = ["ModelFamily", "FAMILIES", "family_of_file"]


@dataclass(frozen=True)
class ModelFamily:
    """A model family: what ``model.kind: <kind>`` means.

    ``config``, ``prepare``, ``check``, ``build_torch`` and ``adopt`` are callables or
    ``"module:attribute"`` references (imported when used, so listing families never imports
    TensorFlow or torch).
    """

    kind: str
    config: Ref  # its ``model:`` section class (a ``Section`` with ``kind: Literal[<kind>]``)
    prepare: Ref  # the model step: ``prepare(run, out) -> StepResult``
    flow: str  # the flow it feeds unless the config names another
    description: str
    check: Ref | None = None  # cheap checks before any step: ``check(config) -> None``
    quantization: str | None = None  # the quantization.framework it needs, if any
    file_suffixes: tuple[str, ...] = ()  # model files it reads (``hw.run("my.keras")``, ``--model``)
    adopt: Ref | None = None  # ``adopt(obj, store) -> dict | None``: a model section for an in-memory object
    build_torch: Ref | None = None  # ``build_torch(config, input_shape, n_classes, quantized) -> nn.Module``
    step_checks: tuple[tuple[str, Ref], ...] = ()  # (step, check(config)): a family's extra step checks
    # ``accepts(path) -> bool``: whether a file with one of its suffixes is its own, when several
    # families read one suffix (a QONNX ``.onnx`` is onnx_file's, a float one onnx_float's)
    accepts: Ref | None = None

    def config_class(self) -> type[Section]:
        return resolve(self.config, f"model family {self.kind}: config")

    def load(self, what: str) -> Any:
        """One of the family's functions (``prepare``, ``check``, ``build_torch``, ``adopt``,
        ``accepts``) or None."""
        ref = getattr(self, what)
        return None if ref is None else resolve(ref, f"model family {self.kind}: {what}")


FAMILIES: Registry[ModelFamily] = Registry(
    "model family", key="kind", builtins="hwcodesign.models", group="hwcodesign.model_families"
)


def family_of_file(path: Path) -> ModelFamily | None:
    """The family that reads the model file ``path``: the first whose ``file_suffixes`` hold its
    suffix (``.keras``, ``.onnx``, ...) and whose ``accepts(path)``, if it has one, says yes."""
    suffix = path.suffix.lower()
    return next(
        (f for f in FAMILIES if suffix in f.file_suffixes and (f.accepts is None or f.load("accepts")(path))),
        None,
    )
