"""JEDI-linear-style jet tagger: particles exchange information through one global
aggregate instead of pairwise attention, so its cost grows linearly with N.

    particles (N, F) -> embed (N, D) -------------------------------> node (N, D) --+
                               `-> mean over particles (D) -> jet (D) -> broadcast --+-> add
    -> update (N, D) -> mean over particles (D) -> head (D) -> C logits

``num_exchanges`` repeats the exchange (node + broadcast aggregate -> add); ``aggregate`` and
``pooling`` choose mean or max over particles for the exchanges and for the final pooling.

Every product is a weight times an activation (no activation x activation product as in
attention), so da4ml builds the whole model from adders: 0 DSP by construction. hls4ml
cannot convert JEDI-linear's broadcasting add (Que et al., 2025), so the jet-wide vector
reaches every particle through an EinsumDense ``be,n->bne`` (one learned gain per particle
position, N weights): the model stays linear in N.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..hgq_layers import LayerFamily, build_twin

if TYPE_CHECKING:
    import keras

    from ...config import HGQQuantConfig
    from .config import JetLinearConfig

__all__ = ["build_jet_linear"]


def build_jet_linear(
    n_particles: int,
    n_features: int,
    n_classes: int,
    cfg: JetLinearConfig,
    quant: HGQQuantConfig | None,
    seed: int = 1,
) -> keras.Model:
    """Build the linear tagger; ``quant=None`` gives the float twin (see
    ``build_jet_transformer`` for the arguments)."""
    return build_twin(_build, n_particles, n_features, n_classes, cfg, quant, seed)


def _build(L: LayerFamily, n: int, f: int, c: int, cfg: JetLinearConfig):
    import keras

    d = cfg.hidden_dim
    aggregate = L.avg if cfg.aggregate == "average" else L.max
    pool = L.avg if cfg.pooling == "average" else L.max
    inp = keras.Input((n, f), name="particles")
    x = L.einsum("bnf,fd->bnd", (n, d), bias_axes="d", activation="relu", name="embed")(inp)
    for r in range(cfg.num_exchanges):
        s = f"_{r}" if r else ""  # the first exchange keeps the names of the one-exchange model
        node = L.einsum("bnd,de->bne", (n, d), bias_axes="e", activation="relu", name=f"node{s}")(x)
        jet = aggregate(name=f"aggregate{s}")(x)
        jet = L.einsum("bd,de->be", d, bias_axes="e", activation="relu", name=f"jet{s}")(jet)
        context = L.einsum("be,n->bne", (n, d), name=f"broadcast{s}")(jet)
        x = L.add(name=f"combine{s}")([node, context])
    for k in range(cfg.num_updates):
        x = L.einsum("bnd,de->bne", (n, d), bias_axes="e", activation="relu", name=f"update_{k}")(x)
    x = pool(name="pool")(x)
    for k in range(cfg.head_layers):
        x = L.dense(cfg.head_dim, activation="relu", name=f"head_{k}")(x)
    out = L.dense(c, name="logits")(x)
    return keras.Model(inp, out, name="jet_linear_hgq2" if L.quantized else "jet_linear_float")
