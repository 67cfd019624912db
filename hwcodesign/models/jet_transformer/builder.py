"""HGQ2 transformer jet tagger and its float twin (same architecture, plain Keras layers).

    particles (N, F) -> embedding (N, D) -> L x [MHA(H) + residual, FF + residual]
                     -> pooling over particles -> dense -> C logits

No LayerNorm: HGQ2 has no quantized LayerNorm and hls4ml's cannot be made bit-exact
(see docs/findings.md), so the blocks are residual-only. The classifier outputs logits;
the argmax (the trigger decision) needs no softmax in hardware.

With ``model.attention`` (clipped softmax, gate; Bondarenko et al. 2023) each attention is built
from HGQ2 layers instead of ``QMultiHeadAttention`` (which has no hook for them): per-head
projections (``QEinsumDense``), scores and A.V as activation products (``QEinsum``), ``QSoftmax``;
the clip ``relu((1 - gamma) p + gamma)`` (zeta = 1) as a frozen ``QEinsumDense`` with a ReLU; the
gate ``hard_sigmoid(G(x))`` as a one-table ``QUnaryFunctionLUT`` on the flattened tensor (hls4ml's
table handler takes rank-2 inputs) times the attention output (``QMultiply``). All of it is
bit-exact through hls4ml 1.3 and da4ml 0.6 (docs/findings.md, issue 19).
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
        if cfg.attention is None:
            a = L.mha(num_heads=h, key_dim=d // h, name=f"attn_{b}")(x, x)
        else:
            a = _attention(L, x, n, cfg, f"attn_{b}")
        x = L.add(name=f"attn_res_{b}")([x, a])
        y = L.einsum("bnd,de->bne", (n, cfg.ff_dim), bias_axes="e", activation="relu", name=f"ff_in_{b}")(x)
        y = L.einsum("bne,ed->bnd", (n, d), bias_axes="d", name=f"ff_out_{b}")(y)
        x = L.add(name=f"ff_res_{b}")([x, y])
    pool = L.avg if cfg.pooling == "average" else L.max
    x = pool(name="pool")(x)
    out = L.dense(c, name="logits")(x)
    name = "jet_transformer_hgq2" if L.quantized else "jet_transformer_float"
    return keras.Model(inp, out, name=name)


def _attention(L: LayerFamily, x, n: int, cfg: JetTransformerConfig, name: str):
    """Multi-head attention from HGQ2 layers with the clipped softmax and/or the gate."""
    import keras

    d, h = cfg.embed_dim, cfg.num_heads
    k = d // h
    heads = (n, h, k)
    q = L.einsum("bnd,dhk->bnhk", heads, bias_axes="hk", name=f"{name}_query")(x)
    key = L.einsum("bnd,dhk->bnhk", heads, bias_axes="hk", name=f"{name}_key")(x)
    v = L.einsum("bnd,dhk->bnhk", heads, bias_axes="hk", name=f"{name}_value")(x)
    p = L.softmax(axis=-1, name=f"{name}_softmax")(L.einsum2("bnhk,bmhk->bhnm", f"{name}_scores")([q, key]))
    clip = cfg.attention.softmax_clip
    if clip is not None:  # zeta = 1: clip((1 - gamma) p + gamma, 0, 1) = relu((1 - gamma) p + gamma)
        stretch = L.einsum(
            "bhnm,m->bhnm",
            (h, n, n),
            bias_axes="m",
            activation="relu",
            kernel_initializer=keras.initializers.Constant(clip.zeta - clip.gamma),
            bias_initializer=keras.initializers.Constant(clip.gamma),
            name=f"{name}_clip",
        )
        stretch.trainable = False
        p = stretch(p)
    a = L.einsum2("bhnm,bmhk->bnhk", f"{name}_av")([p, v])
    if cfg.attention.gate:
        g = L.einsum("bnd,dhk->bnhk", heads, bias_axes="hk", name=f"{name}_gate_proj")(x)
        g = keras.layers.Reshape((n * d,), name=f"{name}_gate_flat")(g)
        g = L.table("hard_sigmoid", f"{name}_gate")(g)
        g = keras.layers.Reshape(heads, name=f"{name}_gate_heads")(g)
        a = L.multiply(name=f"{name}_gated")([g, a])
    return L.einsum("bnhk,hkd->bnd", (n, d), bias_axes="d", name=f"{name}_output")(a)
