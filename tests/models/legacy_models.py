"""Builds Keras 2 / QKeras models for the tests, INSIDE the legacy venv (.venv-legacy):

    .venv-legacy/bin/python tests/models/legacy_models.py DATA.npz OUT_DIR

trains each briefly on DATA.npz (x, y) and writes:
  qkeras_mlp.h5          QDense(quantized_bits(6,0,alpha=1)) + QActivation(quantized_relu(6)) x2,
                         QDense, Activation(softmax): the hls4ml example style
  qkeras_variants.h5     quantized_relu(4,2), activation inside QDense, quantized_bits(8,3)
                         activations, symmetric weights
  keras2_mlp.json + keras2_mlp_weights.h5   a plain float Keras 2 MLP (hls4ml example naming)
  qkeras_auto_alpha.h5   quantized_bits(alpha="auto_po2"): must be refused by name
"""

import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from qkeras import QActivation, QDense, quantized_bits, quantized_relu  # noqa: E402


def fit(model, x, y):
    keras.utils.set_random_seed(3)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
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
    h = QDense(8, kernel_quantizer=quantized_bits(6, 0, alpha="auto_po2", symmetric=1), name="scaled")(inp)
    keras.Model(inp, QDense(n_out, name="out")(h)).save(os.path.join(out, "qkeras_auto_alpha.h5"))


if __name__ == "__main__":
    main(*sys.argv[1:])
