"""Model families, one folder each (config section, builder, checks, model step), plus what
several families share (``common.py``, ``keras_twins.py``, ``torch_twins.py``, layer factories,
``jets.py``).

Importing this package registers the built-in families in ``hwcodesign.families.FAMILIES``
(it is imported by the registry when a family is first looked up). A new family is a folder
with a ``FAMILY = ModelFamily(...)`` and its name in the list below, or, from another
package, an entry point in the group ``hwcodesign.model_families``.
"""

from importlib import import_module

from ..families import FAMILIES

__all__: list[str] = []

BUILTIN = (
    "jet_transformer",
    "jet_linear",
    "keras_file",
    "keras2_file",
    "mlp",
    "vit",
    "onnx_file",
    "onnx_float",
)

for _name in BUILTIN:
    FAMILIES.register(import_module(f"{__name__}.{_name}").FAMILY)
