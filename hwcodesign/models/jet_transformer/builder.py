"""HGQ2 transformer jet tagger and its float twin (same architecture, plain Keras layers).

    particles (N, F) -> embedding (N, D) -> L x [MHA(H) + residual, FF + residual]
                     -> pooling over particles -> dense -> C logits

No LayerNorm: HGQ2 has no quantized LayerNorm and hls4ml's cannot be made bit-exact
(see docs/findings.md), so the blocks are residual-only. The classifier outputs logits;
the argmax (the trigger decision) needs no softmax in hardware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hgq_layers import LayerFamily, build_twin

if TYPE_CHECKING:
    import keras

    from ...config import HGQQuantConfig
    from .config import JetTransformerConfig

__all__ = ["build_jet_transformer"]


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
