"""Float Keras 3 models quantized after training into HGQ2: the HGQ2 model is bit-exact in
hls4ml's C++ emulation, agrees with the float model at least as well as hls4ml used directly
at the same precision, and unsupported layers are named."""

import numpy as np
import pytest
from conftest import mismatch_message

from hwcodesign.backends.hls4ml.keras import convert_keras, emulate_at_precision, hls4ml_config
from hwcodesign.config import TargetConfig
from hwcodesign.errors import UnsupportedLayerError
from hwcodesign.frameworks import import_keras
from hwcodesign.train.ptq import PTQConfig, check_float_layers, quantize_float_model


@pytest.fixture(scope="module")
def float_mlp_and_data():
    """A float MLP (ReLU as a layer and as an activation, softmax) trained on 16 jet features."""
    from hwcodesign.config import JetDataConfig
    from hwcodesign.data.jets import load_jets

    keras = import_keras()
    ds = load_jets(
        JetDataConfig(
            source="sample", jets_per_class=500, n_particles=4, features=("ptrel", "deta", "dphi", "logpt")
        )
    )
    x_tr, x_te = ds.x_train.reshape(-1, 16), ds.x_test.reshape(-1, 16)
    keras.utils.set_random_seed(1)
    inp = keras.Input((16,))
    h = keras.layers.Dense(32, activation="relu")(inp)
    h = keras.layers.ReLU()(keras.layers.Dense(16)(h))
    model = keras.Model(inp, keras.layers.Dense(5, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x_tr, ds.y_train, epochs=15, batch_size=64, verbose=0)
    return model, x_tr, x_te


def test_ptq_model_is_bit_exact_in_hls4ml_and_at_least_as_good_as_hls4ml_directly(
    float_mlp_and_data, tmp_path
):
    model, x_tr, x_te = float_mlp_and_data
    qmodel = quantize_float_model(model, x_tr, PTQConfig(precision="fixed<16,6>"))
    target = TargetConfig()
    y_hgq = qmodel.predict(x_te, verbose=0).astype(np.float64)
    y_hls, _ = convert_keras(qmodel, x_te, hls4ml_config(qmodel, "Vitis", "latency"), target, None)
    assert np.array_equal(y_hls, y_hgq), mismatch_message(y_hls, y_hgq, "hls4ml vs HGQ2 PTQ model")

    y_float = model.predict(x_te, verbose=0)
    y_direct = emulate_at_precision(model, x_te, "fixed<16,6>", target)
    ours = np.mean(y_hgq.argmax(1) == y_float.argmax(1))
    direct = np.mean(y_direct.argmax(1) == y_float.argmax(1))
    assert ours >= direct and ours > 0.98, f"PTQ agreement {ours:.4f}, hls4ml directly {direct:.4f}"
    names = [type(layer).__name__ for layer in qmodel.layers]
    assert names.count("QDense") == 3 and "ReLU" not in names and names[-1] == "QSoftmax"  # ReLU folded


def test_unsupported_float_layers_are_named():
    keras = import_keras()
    inp = keras.Input((8,))
    x = keras.layers.Dense(8, activation="tanh", name="squash")(inp)
    with pytest.raises(
        UnsupportedLayerError,
        match=r"layer 1 'squash' \(keras\.src\.layers\.core\.dense\.Dense with activation 'tanh'\)",
    ):
        check_float_layers(keras.Model(inp, x))
    a, b = keras.layers.Dense(4)(inp), keras.layers.Dense(4)(inp)
    s = keras.layers.ReLU(name="after_add")(keras.layers.Add()([a, b]))
    with pytest.raises(
        UnsupportedLayerError,
        match=r"'after_add' \(.*ReLU after Add\).*give the preceding layer activation='relu'",
    ):
        check_float_layers(keras.Model(inp, s))
    lstm_in = keras.Input((4, 3))
    with pytest.raises(UnsupportedLayerError, match=r"keras\.src\.layers\.rnn\.lstm\.LSTM"):
        check_float_layers(keras.Model(lstm_in, keras.layers.LSTM(2, name="lstm")(lstm_in)))
