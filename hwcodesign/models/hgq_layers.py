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
        self.multiply = getattr(mod, f"{p}Multiply")
        self.softmax = mod.QSoftmax if quantized else mod.Softmax
        self.quantized = quantized

    def einsum2(self, equation: str, name: str):
        """The product of two activations (``QEinsum``; the float twin: the same layer unquantized)."""
        from hgq.layers import QEinsum

        if self.quantized:
            return QEinsum(equation, name=name)
        return QEinsum(equation, enable_iq=False, enable_ebops=False, name=name)

    def table(self, activation: str, name: str):
        """A unary function (``QUnaryFunctionLUT``, one table for all elements; float: Activation)."""
        if not self.quantized:
            import keras

            return keras.layers.Activation(activation, name=name)
        from hgq.layers import QUnaryFunctionLUT

        return QUnaryFunctionLUT(
            activation, allow_heterogeneous_table=False, allow_heterogeneous_input=False, name=name
        )


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
