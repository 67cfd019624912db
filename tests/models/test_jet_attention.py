"""The jet transformer's clipped softmax and gated attention, built from HGQ2 layers."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from hwcodesign.config import HGQQuantConfig
from hwcodesign.frameworks import import_keras
from hwcodesign.models.jet_transformer.builder import build_jet_transformer
from hwcodesign.models.jet_transformer.config import JetTransformerConfig

OPTIONS = {"softmax_clip": {"gamma": -0.2}, "gate": True}


def _models(attention=OPTIONS):
    import_keras()
    cfg = JetTransformerConfig(embed_dim=8, num_heads=2, ff_dim=8, attention=attention)
    return build_jet_transformer(8, 4, 5, cfg, None), build_jet_transformer(8, 4, 5, cfg, HGQQuantConfig())


def test_twins_have_the_same_layers_and_no_mha():
    fm, qm = _models()
    assert [layer.name for layer in fm.layers] == [layer.name for layer in qm.layers]
    kinds = {type(layer).__name__ for layer in qm.layers}
    assert "QMultiHeadAttention" not in kinds
    assert {"QEinsum", "QSoftmax", "QUnaryFunctionLUT", "QMultiply"} <= kinds
    assert not qm.get_layer("attn_0_clip").trainable  # the stretch is fixed, not learned
    x = np.random.default_rng(0).normal(size=(3, 8, 4)).astype(np.float32)
    assert fm.predict(x, verbose=0).shape == qm.predict(x, verbose=0).shape == (3, 5)


def test_the_clip_gives_exact_zeros_in_the_float_twin():
    import keras

    fm, _ = _models({"softmax_clip": {"gamma": -0.2}})
    probe = keras.Model(fm.input, [fm.get_layer("attn_0_softmax").output, fm.get_layer("attn_0_clip").output])
    x = 3 * np.random.default_rng(1).normal(size=(16, 8, 4)).astype(np.float32)
    p, clipped = probe.predict(x, verbose=0)
    small = p < 0.2 / 1.2
    assert small.any() and np.all(clipped[small] == 0)
    assert np.allclose(clipped[~small], 1.2 * p[~small] - 0.2, atol=1e-6)


def test_options_that_do_not_convert_are_refused():
    with pytest.raises(ValidationError, match="zeta must be 1"):
        JetTransformerConfig(attention={"softmax_clip": {"gamma": -0.1, "zeta": 1.1}})
    with pytest.raises(ValidationError, match="hard_sigmoid for the jet transformer"):
        JetTransformerConfig(attention={"gate": True, "gate_function": "sigmoid"})
    plain = JetTransformerConfig()
    assert "attention" not in yaml.safe_load(yaml.safe_dump(plain.model_dump(mode="json")))


def test_the_hgq2_attention_is_bit_exact_in_da4ml():
    from da4ml.converter import trace_model
    from da4ml.trace import comb_trace
    from hgq.utils import trace_minmax

    _, qm = _models()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8, 4)).astype(np.float32)
    qm.compile("adam", "sparse_categorical_crossentropy")
    qm.fit(x, rng.integers(0, 5, 256), epochs=1, batch_size=64, verbose=0)
    trace_minmax(qm, x, verbose=0)
    comb = comb_trace(*trace_model(qm))
    y_k = qm.predict(x[:64], verbose=0)
    y_d = np.array([comb(xi.ravel()) for xi in x[:64]]).reshape(y_k.shape)
    assert np.array_equal(y_d, y_k), f"{np.sum(np.any(y_d != y_k, axis=1))} of 64 samples differ"
