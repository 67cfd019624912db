"""One builder, two models: the same architecture with plain Keras layers (the float twin) or
with HGQ2 layers inside the quantizer scopes of the run's quantization section."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from ..config import HGQQuantConfig

__all__ = ["LayerFamily", "build_twin"]


class LayerFamily:
    """Layer classes of one family (plain Keras or HGQ2), looked up once."""

    def __init__(self, mod, quantized: bool) -> None:
        p = "Q" if quantized else ""
        self.einsum = getattr(mod, f"{p}EinsumDense")
        self.mha = getattr(mod, f"{p}MultiHeadAttention")
        self.add = getattr(mod, f"{p}Add")
        self.dense = getattr(mod, f"{p}Dense")
        self.avg = getattr(mod, f"{p}GlobalAveragePooling1D")
        self.max = getattr(mod, f"{p}GlobalMaxPooling1D")
        self.quantized = quantized


def build_twin(
    build: Callable[..., keras.Model], n: int, f: int, c: int, cfg, quant: HGQQuantConfig | None, seed: int
) -> keras.Model:
    """Call ``build(layers, n, f, c, cfg)`` with plain Keras layers (``quant=None``, the float
    twin) or with HGQ2 layers inside the quantizer scopes of ``quant``."""
    import keras

    keras.utils.set_random_seed(seed)
    if quant is None:
        return build(LayerFamily(keras.layers, quantized=False), n, f, c, cfg)

    from hgq import layers as q
    from hgq.config import LayerConfigScope, QuantizerConfigScope

    with (
        QuantizerConfigScope(place=("weight", "bias"), q_type="kbi", b0=quant.weight_bits),
        QuantizerConfigScope(
            place="datalane", q_type="kif", i0=quant.activation_int_bits, f0=quant.activation_frac_bits
        ),
        LayerConfigScope(enable_ebops=True, beta0=quant.beta_initial),
    ):
        return build(LayerFamily(q, quantized=True), n, f, c, cfg)
