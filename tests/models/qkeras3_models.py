"""Builds QKeras-for-Keras-3 (``qkeras-v3``) models for the tests, INSIDE the legacy venv
(.venv-legacy, where qkeras-v3 lives in isolated/qkeras-v3 and Keras 3 is ``keras``):

    .venv-legacy/bin/python tests/models/qkeras3_models.py DATA.npz OUT_DIR

trains each briefly on DATA.npz (x, y) with Keras 3 and writes, each as a ``.keras`` file
saved by qkeras-v3 itself, plus its own predictions on x (``<name>.qkeras.npy``):
  qkeras3_mlp.keras   QActivation(quantized_bits(8,3)) input, QDense(quantized_bits(6,0)) +
                      QActivation(quantized_relu(6,2)) x2, QDense, Activation(softmax)
  qkeras3_bn.keras    QDenseBatchnorm (BatchNorm folded into the quantized kernel) with a
                      quantized_relu activation, then QDense; its input is not named
"""

import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_USE_LEGACY_KERAS"] = "0"
sys.path.insert(0, os.path.join(sys.prefix, "isolated", "qkeras-v3"))

import keras  # noqa: E402  (Keras 3)
import numpy as np  # noqa: E402
from qkeras import QActivation, QDense, QDenseBatchnorm, quantized_bits, quantized_relu  # noqa: E402


def fit(model, x, y, logits: bool):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=logits)
    model.compile(keras.optimizers.Adam(3e-3), loss)
    model.fit(x, y, epochs=10, batch_size=64, verbose=0)
    return model


def main(data: str, out: str) -> None:
    d = np.load(data)
    x, y = d["x"].astype(np.float32), d["y"]
    n_in, n_out = x.shape[1], int(y.max()) + 1
    keras.utils.set_random_seed(1)
    q6, b8 = quantized_bits(6, 0, alpha=1), quantized_bits(8, 3, alpha=1)
    inp = keras.Input((n_in,), name="inputs")
    h = QActivation(quantized_bits(8, 3, alpha=1), name="in_q")(inp)
    h = QDense(16, kernel_quantizer=q6, bias_quantizer=b8, name="fc1")(h)
    h = QActivation(quantized_relu(6, 2), name="relu1")(h)
    h = QDense(8, kernel_quantizer=q6, bias_quantizer=b8, name="fc2")(h)
    h = QActivation(quantized_relu(6, 2), name="relu2")(h)
    h = QDense(n_out, kernel_quantizer=q6, bias_quantizer=b8, name="logits")(h)
    models = {"qkeras3_mlp": (keras.Model(inp, keras.layers.Activation("softmax", name="softmax")(h)), False)}

    inp = keras.Input((n_in,))  # unnamed: Keras 3 names the tensor keras_tensor_N, its layer input_layer
    h = QActivation(quantized_bits(8, 3, alpha=1), name="in_q")(inp)
    h = QDenseBatchnorm(
        16,
        kernel_quantizer=quantized_bits(8, 2, alpha=1),
        bias_quantizer=quantized_bits(10, 4, alpha=1),
        activation=quantized_relu(6, 2),
        name="fc_bn",
    )(h)
    out_t = QDense(n_out, kernel_quantizer=q6, bias_quantizer=b8, name="logits")(h)
    models["qkeras3_bn"] = (keras.Model(inp, out_t), True)
    for name, (model, logits) in models.items():
        fit(model, x, y, logits)
        model.save(os.path.join(out, f"{name}.keras"))
        np.save(os.path.join(out, f"{name}.qkeras.npy"), model.predict(x, batch_size=1024, verbose=0))


if __name__ == "__main__":
    main(*sys.argv[1:])
