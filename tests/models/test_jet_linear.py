"""The JEDI-linear-style tagger: linear in N, no signal x signal products."""

from pathlib import Path

import numpy as np

from hwcodesign.config import HGQQuantConfig
from hwcodesign.frameworks import import_keras
from hwcodesign.models.jet_linear.builder import build_jet_linear
from hwcodesign.models.jet_linear.config import JetLinearConfig
from hwcodesign.models.jets import build_float_reference

REPO = Path(__file__).resolve().parents[2]


def test_twin_and_cost_linear_in_the_number_of_particles():
    import_keras()
    cfg = JetLinearConfig(hidden_dim=8, num_updates=1, head_dim=6, head_layers=1)
    fm = build_jet_linear(8, 5, 5, cfg, None)
    qm = build_jet_linear(8, 5, 5, cfg, HGQQuantConfig())
    assert [layer.name for layer in fm.layers] == [layer.name for layer in qm.layers]
    assert {w.path: w.shape for w in fm.weights} == {
        w.path: w.shape for w in qm.weights if "kernel" in w.path or "bias" in w.path
    }
    # no attention: every layer is a weight x activation product, a sum, or a mean
    assert {type(layer).__name__ for layer in qm.layers[1:]} == {
        "QEinsumDense",
        "QAdd",
        "QGlobalAveragePooling1D",
        "QDense",
    }
    # linear in N: only the broadcast layer depends on N (one gain per particle position)
    params = [build_jet_linear(n, 5, 5, cfg, None).count_params() for n in (8, 16, 32)]
    assert params[2] - params[1] == 2 * (params[1] - params[0]) == 2 * 8
    x = np.random.default_rng(0).normal(size=(4, 8, 5)).astype(np.float32)
    assert fm.predict(x, verbose=0).shape == qm.predict(x, verbose=0).shape == (4, 5)


def test_exchanges_and_max_pooling_options():
    import_keras()
    cfg = JetLinearConfig(hidden_dim=8, num_exchanges=2, aggregate="max", pooling="max", head_layers=1)
    one = build_jet_linear(8, 5, 5, cfg.model_copy(update={"num_exchanges": 1}), HGQQuantConfig())
    qm = build_jet_linear(8, 5, 5, cfg, HGQQuantConfig())
    names = [layer.name for layer in qm.layers]
    # the second exchange adds node, aggregate, jet, broadcast and combine layers; the first keeps its names
    assert set(names) - {layer.name for layer in one.layers} == {
        "node_1",
        "aggregate_1",
        "jet_1",
        "broadcast_1",
        "combine_1",
    }
    kinds = {layer.name: type(layer).__name__ for layer in qm.layers}
    assert kinds["aggregate"] == kinds["aggregate_1"] == kinds["pool"] == "QGlobalMaxPooling1D"
    # max pooling over particles: the output does not depend on the particles' order
    fm = build_jet_linear(8, 5, 5, cfg.model_copy(update={"aggregate": "average"}), None)
    assert type(fm.get_layer("pool")).__name__ == "GlobalMaxPooling1D"
    x = np.random.default_rng(0).normal(size=(4, 8, 5)).astype(np.float32)
    assert fm.predict(x, verbose=0).shape == (4, 5)


def test_init_from_float_copies_the_float_twin_into_the_hgq2_model():
    from hwcodesign.models.keras_twins import copy_float_weights

    import_keras()
    cfg = JetLinearConfig(hidden_dim=8, pooling="max", head_layers=1)
    fm = build_jet_linear(8, 5, 5, cfg, None, seed=1)
    qm = build_jet_linear(8, 5, 5, cfg, HGQQuantConfig(weight_bits=8, activation_frac_bits=8), seed=2)
    x = np.random.default_rng(0).normal(size=(64, 8, 5)).astype(np.float32)
    f_out = fm.predict(x, verbose=0)
    before = np.abs(qm.predict(x, verbose=0) - f_out).mean()
    # every kernel and bias (the broadcast layer has no bias)
    assert copy_float_weights(fm, qm) == (len([w for w in fm.weights if w.name in ("kernel", "bias")]), [])
    for layer in fm.layers:
        if getattr(layer, "kernel", None) is not None:
            assert np.array_equal(np.asarray(qm.get_layer(layer.name).kernel), np.asarray(layer.kernel))
    # with 8-bit weights and activations the HGQ2 model now computes nearly what the float twin does
    after = np.abs(qm.predict(x, verbose=0) - f_out).mean()
    assert after < 0.1 * before


def test_init_from_float_names_what_the_hgq2_attention_does_not_have():
    from hwcodesign.config import load_config
    from hwcodesign.models.jet_transformer.builder import build_jet_transformer
    from hwcodesign.models.keras_twins import copy_float_weights

    import_keras()
    cfg = load_config(REPO / "configs" / "jet_tagger_tiny.yaml")
    fm = build_jet_transformer(8, 4, 5, cfg.model, None)
    qm = build_jet_transformer(8, 4, 5, cfg.model, cfg.quantization)
    copied, left_out = copy_float_weights(fm, qm)
    assert left_out == ["attn_0/key/bias"]  # a key bias shifts a whole row of scores: softmax cancels it
    assert copied == len([w for w in fm.weights if w.name in ("kernel", "bias")]) - 1


def test_float_reference_is_wider_than_the_hardware_models():
    import_keras()
    ref = build_float_reference(16, 8, 5)
    assert ref.count_params() > 100_000
    assert any(type(layer).__name__ == "LayerNormalization" for layer in ref.layers)
    x = np.random.default_rng(0).normal(size=(3, 16, 8)).astype(np.float32)
    assert ref.predict(x, verbose=0).shape == (3, 5)
