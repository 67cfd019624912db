"""HGQ2 transformer jet tagger and its float twin (same architecture, plain Keras layers).

    particles (N, F) -> embedding (N, D) -> L x [MHA(H) + residual, FF + residual]
                     -> pooling over particles -> dense -> C logits

No LayerNorm: HGQ2 has no quantized LayerNorm and hls4ml's cannot be made bit-exact
(see docs/findings.md), so the blocks are residual-only. The classifier outputs logits;
the argmax (the trigger decision) needs no softmax in hardware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import HGQQuantConfig
from ..frontends.jet_transformer import JetTransformerConfig

if TYPE_CHECKING:
    import keras

__all__ = ["build_jet_transformer", "build_twin", "LayerFamily"]


def build_jet_transformer(
    n_particles: int,
    n_features: int,
    n_classes: int,
    cfg: JetTransformerConfig,
    quant: HGQQuantConfig | None,
    seed: int = 1,
) -> keras.Model:
    """Build the tagger; ``quant=None`` gives the float twin.

    Args:
        n_particles: N, constituents per jet.
        n_features: F, features per constituent.
        n_classes: C, output logits.
        cfg: architecture (D, H, L, FF width, pooling).
        quant: HGQ2 initial bit widths and EBOPs strength, or None for float.
        seed: seed of the weight initialisers.
    """
    return build_twin(_build, n_particles, n_features, n_classes, cfg, quant, seed)


def build_twin(build, n: int, f: int, c: int, cfg, quant: HGQQuantConfig | None, seed: int) -> keras.Model:
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


def _build(L: LayerFamily, n: int, f: int, c: int, cfg: JetTransformerConfig):
    import keras

    d, h = cfg.embed_dim, cfg.num_heads
    inp = keras.Input((n, f), name="particles")
    x = L.einsum("bnf,fd->bnd", (n, d), bias_axes="d", activation="relu", name="embed")(inp)
    for b in range(cfg.num_blocks):
        a = L.mha(num_heads=h, key_dim=d // h, name=f"attn_{b}")(x, x)
        x = L.add(name=f"attn_res_{b}")([x, a])
        y = L.einsum("bnd,de->bne", (n, cfg.ff_dim), bias_axes="e", activation="relu", name=f"ff_in_{b}")(x)
        y = L.einsum("bne,ed->bnd", (n, d), bias_axes="d", name=f"ff_out_{b}")(y)
        x = L.add(name=f"ff_res_{b}")([x, y])
    pool = L.avg if cfg.pooling == "average" else L.max
    x = pool(name="pool")(x)
    out = L.dense(c, name="logits")(x)
    name = "jet_transformer_hgq2" if L.quantized else "jet_transformer_float"
    return keras.Model(inp, out, name=name)
