"""Builds Keras 2 / QKeras models for the tests, INSIDE the legacy venv (.venv-legacy):

    .venv-legacy/bin/python tests/models/legacy_models.py DATA.npz OUT_DIR

trains each briefly on DATA.npz (x, y) and writes:
  qkeras_mlp.h5          QDense(quantized_bits(6,0,alpha=1)) + QActivation(quantized_relu(6)) x2,
                         QDense, Activation(softmax): the hls4ml example style
  qkeras_variants.h5     quantized_relu(4,2), activation inside QDense, quantized_bits(8,3)
                         activations, symmetric weights
  keras2_mlp.json + keras2_mlp_weights.h5   a plain float Keras 2 MLP (hls4ml example naming)
  qkeras_auto_alpha.h5   quantized_bits(alpha="auto"): float scales, must be refused by name
  keras2_bn.h5           a float Keras 2 MLP with BatchNormalization (PTQ path)
  qkeras_quantizers.h5   weights quantized_po2 / ternary / binary / quantized_bits(alpha="auto_po2"),
                         activations quantized_tanh and quantized_sigmoid (hard), softmax
  qkeras_conv.h5         Reshape -> QConv1D -> quantized_relu -> Flatten -> QDense
  qkeras_binary_act.h5   QActivation(binary()): a sign activation, refused by name
  hgq1_proxy.h5          HGQ v1 (isolated/hgq) model saved as its proxy (FixedPointQuantizer layers)
  hgq1_model.h5          the same HGQ v1 model saved as such (HQuantize, HDense)
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tf_keras as keras  # noqa: E402
from qkeras import QActivation, QDense, quantized_bits, quantized_relu  # noqa: E402


def fit(model, x, y):
    keras.utils.set_random_seed(3)
    logits = not model.layers[-1].name.startswith("softmax") and "softmax" not in str(
        getattr(model.layers[-1], "activation", "")
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    model.compile(keras.optimizers.Adam(3e-3), loss, metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=64, verbose=0)
    return model


def main(data: str, out: str) -> None:
    d = np.load(data)
    x, y = d["x"], d["y"]
    n_in, n_out = x.shape[1], int(y.max()) + 1
    keras.utils.set_random_seed(1)
    q6 = quantized_bits(6, 0, alpha=1)
    inp = keras.Input((n_in,), name="inputs")
    h = QDense(32, kernel_quantizer=q6, bias_quantizer=q6, name="fc1")(inp)
    h = QActivation(quantized_relu(6), name="relu1")(h)
    h = QDense(16, kernel_quantizer=q6, bias_quantizer=q6, name="fc2")(h)
    h = QActivation(quantized_relu(6), name="relu2")(h)
    h = QDense(n_out, kernel_quantizer=q6, bias_quantizer=q6, name="output")(h)
    out_t = keras.layers.Activation("softmax", name="softmax")(h)
    fit(keras.Model(inp, out_t), x, y).save(os.path.join(out, "qkeras_mlp.h5"))

    inp = keras.Input((n_in,), name="inputs")
    h = QActivation(quantized_bits(8, 3, alpha=1), name="in_q")(inp)
    h = QDense(
        24,
        kernel_quantizer=quantized_bits(5, 1, symmetric=1, alpha=1),
        bias_quantizer=quantized_bits(8, 3, alpha=1),
        activation=quantized_relu(4, 2),
        name="fc1",
    )(h)
    h = QDense(
        12,
        kernel_quantizer=quantized_bits(4, 0, alpha=1),
        bias_quantizer=quantized_bits(8, 3, alpha=1),
        name="fc2",
    )(h)
    h = QActivation(quantized_bits(8, 3, alpha=1), name="act2")(h)
    out_t = QDense(
        n_out,
        kernel_quantizer=quantized_bits(6, 1, alpha=1),
        bias_quantizer=quantized_bits(8, 3, alpha=1),
        name="logits",
    )(h)
    fit(keras.Model(inp, out_t), x, y).save(os.path.join(out, "qkeras_variants.h5"))

    m = keras.Sequential(
        [
            keras.layers.Dense(32, activation="relu", input_shape=(n_in,)),
            keras.layers.Dense(n_out, activation="softmax"),
        ]
    )
    fit(m, x, y)
    with open(os.path.join(out, "keras2_mlp.json"), "w") as f:
        f.write(m.to_json())
    m.save_weights(os.path.join(out, "keras2_mlp_weights.h5"))

    inp = keras.Input((n_in,), name="inputs")
    h = QDense(8, kernel_quantizer=quantized_bits(6, 0, alpha="auto", symmetric=1), name="scaled")(inp)
    keras.Model(inp, QDense(n_out, name="out")(h)).save(os.path.join(out, "qkeras_auto_alpha.h5"))
    more_models(x, y, n_in, n_out, out)
    hgq1_models(x, y, n_in, n_out, out)


def more_models(x, y, n_in: int, n_out: int, out: str) -> None:
    from qkeras import QConv1D, binary, quantized_po2, quantized_sigmoid, quantized_tanh, ternary

    m = keras.Sequential(
        [
            keras.layers.Dense(24, activation="relu", input_shape=(n_in,)),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(n_out, activation="softmax"),
        ]
    )
    fit(m, x, y).save(os.path.join(out, "keras2_bn.h5"))

    inp = keras.Input((n_in,), name="inputs")
    h = QActivation(quantized_bits(8, 3, alpha=1), name="in_q")(inp)
    h = QDense(
        24, kernel_quantizer=quantized_po2(4), bias_quantizer=quantized_bits(8, 3, alpha=1), name="po2"
    )(h)
    h = QActivation(quantized_tanh(6), name="tanh")(h)
    h = QDense(
        16, kernel_quantizer=ternary(alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1), name="tern"
    )(h)
    h = QActivation(quantized_bits(8, 3, alpha=1), name="act2")(h)
    h = QDense(
        16,
        kernel_quantizer=quantized_bits(6, 0, alpha="auto_po2"),
        bias_quantizer=quantized_bits(8, 3, alpha=1),
        activation=quantized_sigmoid(6),
        name="sig",
    )(h)
    h = QDense(
        n_out, kernel_quantizer=binary(alpha=1), bias_quantizer=quantized_bits(8, 3, alpha=1), name="bin"
    )(h)
    out_t = keras.layers.Activation("softmax", name="softmax")(h)
    fit(keras.Model(inp, out_t), x, y).save(os.path.join(out, "qkeras_quantizers.h5"))

    inp = keras.Input((n_in,), name="inputs")
    h = QActivation(quantized_bits(8, 3, alpha=1), name="in_q")(inp)
    h = keras.layers.Reshape((n_in, 1), name="as_sequence")(h)
    h = QConv1D(
        4,
        3,
        kernel_quantizer=quantized_bits(6, 0, alpha=1),
        bias_quantizer=quantized_bits(6, 0, alpha=1),
        name="conv",
    )(h)
    h = QActivation(quantized_relu(6, 2), name="relu")(h)
    h = keras.layers.Flatten(name="flat")(h)
    out_t = QDense(
        n_out,
        kernel_quantizer=quantized_bits(6, 0, alpha=1),
        bias_quantizer=quantized_bits(6, 0, alpha=1),
        name="logits",
    )(h)
    fit(keras.Model(inp, out_t), x, y).save(os.path.join(out, "qkeras_conv.h5"))

    inp = keras.Input((n_in,), name="inputs")
    h = QDense(8, kernel_quantizer=quantized_bits(6, 0, alpha=1), name="fc")(inp)
    h = QActivation(binary(), name="sign")(h)
    keras.Model(inp, QDense(n_out, name="out")(h)).save(os.path.join(out, "qkeras_binary_act.h5"))


def hgq1_models(x, y, n_in: int, n_out: int, out: str) -> None:
    """HGQ v1 from .venv-legacy/isolated/hgq, its `keras` being tf_keras (as legacy_export.py does)."""
    sys.path.insert(0, os.path.join(REPO, "hwcodesign", "models", "keras2_file"))
    from legacy_export import alias_keras_to_tf_keras  # the same alias the import uses

    alias_keras_to_tf_keras()
    sys.path.insert(0, os.path.join(sys.prefix, "isolated", "hgq"))
    from HGQ import HDense, HQuantize, to_proxy_model, trace_minmax

    keras.utils.set_random_seed(4)
    inp = keras.Input((n_in,), name="inputs")
    h = HQuantize(beta=1e-6, name="in_q")(inp)
    h = HDense(24, activation="relu", beta=1e-6, name="fc1")(h)
    out_t = HDense(n_out, beta=1e-6, name="logits")(h)
    m = fit(keras.Model(inp, out_t), x, y)
    trace_minmax(m, x, verbose=0)
    m.save(os.path.join(out, "hgq1_model.h5"))
    to_proxy_model(m).save(os.path.join(out, "hgq1_proxy.h5"))


if __name__ == "__main__":
    main(*sys.argv[1:])
