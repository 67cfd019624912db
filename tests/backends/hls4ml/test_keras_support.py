"""hls4ml's Keras 3 support check: unsupported layers are named (full class path, index,
what is supported) before hls4ml runs, and a user model with one is refused up front."""

import pytest

from hwcodesign.backends.hls4ml.keras import check_hls4ml_support
from hwcodesign.config import config_from_dict
from hwcodesign.errors import UnsupportedLayerError
from hwcodesign.flows import run_flow
from hwcodesign.frameworks import import_keras


def plain_keras_attention_model():
    keras = import_keras()
    inp = keras.Input((8, 4))
    x = keras.layers.Dense(8, name="embed")(inp)
    a = keras.layers.MultiHeadAttention(2, 4, name="mha")(x, x)
    x = keras.layers.Add(name="res")([x, a])
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, keras.layers.Dense(5)(x))


def test_plain_keras_attention_is_named_with_its_index():
    with pytest.raises(UnsupportedLayerError) as e:
        check_hls4ml_support(plain_keras_attention_model())
    msg = str(e.value)
    assert "layer 2 'mha' (keras.src.layers.attention.multi_head_attention.MultiHeadAttention)" in msg
    assert "hgq.layers.{" in msg and "QMultiHeadAttention" in msg and "EinsumDense" in msg  # what works
    assert e.value.index == 2


def test_dot_on_sequences_is_refused():
    keras = import_keras()
    a = keras.Input((4, 3))
    b = keras.Input((4, 3))
    out = keras.layers.Dot(axes=2, name="scores")([a, b])
    with pytest.raises(
        UnsupportedLayerError,
        match=r"layer 2 'scores' \(keras\.src\.layers\.merging\.dot\.Dot on 3-D inputs\)",
    ):
        check_hls4ml_support(keras.Model([a, b], out))


def test_user_model_with_unsupported_layer_fails_in_the_flow(tiny_config_dict, tmp_path):
    path = tmp_path / "user.keras"
    plain_keras_attention_model().save(path)
    tiny_config_dict["model"] = {"kind": "keras_file", "path": str(path)}
    tiny_config_dict["data"].update(n_particles=8, features=["ptrel", "deta", "dphi", "logpt"])
    with pytest.raises(UnsupportedLayerError, match="'mha'"):
        run_flow(config_from_dict(tiny_config_dict), until="convert")
