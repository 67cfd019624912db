"""The HGQ2 jet transformer and its float twin."""

import numpy as np

from hwcodesign.config import HGQQuantConfig
from hwcodesign.frameworks import import_keras
from hwcodesign.models.jet_transformer.builder import build_jet_transformer
from hwcodesign.models.jet_transformer.config import JetTransformerConfig


def test_float_twin_has_the_same_architecture():
    import_keras()
    cfg = JetTransformerConfig(embed_dim=8, num_heads=2, num_blocks=2, ff_dim=12)
    fm = build_jet_transformer(8, 5, 5, cfg, None)
    qm = build_jet_transformer(8, 5, 5, cfg, HGQQuantConfig())
    assert [layer.name for layer in fm.layers] == [layer.name for layer in qm.layers]
    # HGQ2 drops the attention key bias: q.(k + b) shifts every score of a query by the
    # same amount, which softmax ignores. Every other float weight must have a twin.
    f_w = {w.path: w.shape for w in fm.weights if not w.path.endswith("/key/bias")}
    q_w = {w.path: w.shape for w in qm.weights if w.path in f_w}
    assert q_w == f_w, "quantized model must carry every float weight with the same shape"
    assert [type(layer).__name__ for layer in qm.layers][1:4] == [
        "QEinsumDense",
        "QMultiHeadAttention",
        "QAdd",
    ]
    x = np.random.default_rng(0).normal(size=(4, 8, 5)).astype(np.float32)
    assert fm.predict(x, verbose=0).shape == qm.predict(x, verbose=0).shape == (4, 5)


def test_quantizer_initial_bits_follow_the_config():
    import_keras()
    cfg = JetTransformerConfig(embed_dim=4, num_heads=1, ff_dim=4)
    qm = build_jet_transformer(4, 3, 5, cfg, HGQQuantConfig(weight_bits=3, activation_frac_bits=2))
    embed = qm.get_layer("embed")
    bits = np.asarray(embed.kq.quantizer.b)
    assert np.all(bits == 3)
