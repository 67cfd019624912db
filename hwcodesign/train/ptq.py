"""Post-training quantization of a float Keras 3 model into an equivalent HGQ2 model.

The float graph is rebuilt layer by layer with HGQ2 layers carrying the same weights:
weights and activations get the ``W-I`` fractional bits of ``precision`` (``fixed<W,I>``);
integer bits are either ``I`` everywhere (``integer_bits: fixed``, as hls4ml's default
precision) or at least ``I`` and widened where the training data need more (``profiled``,
HGQ2's ``trace_minmax``), so nothing overflows on data like the training set. Narrowing below
``I`` from the ranges was tried and rejected: test values beyond the training range then
wrap around (argmax agreement fell from 99.4 % to 99.0 %, max error 0.69 on the jet
sample). The outputs are quantized too (saturating, ``W-I`` fraction bits), unless a softmax
table already puts them on a grid: the full accumulator of the last layer (e.g. 20 fraction
bits, 26 bits in all) is not exact in float32, so Keras' and hls4ml's Python outputs would
differ from the RTL's in the last bits. The result is an ordinary HGQ2 model: hls4ml and da4ml
implement it bit-exactly, so the whole flow (emulation, RTL) applies.

A softmax (a ``Softmax`` layer or ``activation="softmax"``) becomes HGQ2's table-based
``QSoftmax`` with tables sized by ``softmax_table_bits``. A sigmoid on the model's output (a
binary classifier) stays in software: the design outputs the logit, and a logit at or above 0
is a probability at or above 0.5 (the sigmoid is monotonic). Any other layer or activation
without a bit-exact HGQ2 form is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from ..config_base import Section
from ..errors import UnsupportedLayerError

if TYPE_CHECKING:
    import keras

__all__ = [
    "PTQConfig",
    "quantize_float_model",
    "supported_float_layers",
    "parse_fixed",
    "output_sigmoids",
    "outputs_of",
]

_FIXED = re.compile(r"^(?:ap_)?fixed<\s*(\d+)\s*,\s*(-?\d+)\s*>$")


def parse_fixed(text: str) -> tuple[int, int]:
    """'fixed<16,6>' (or 'ap_fixed<16,6>') -> (total bits, integer bits incl. sign)."""
    m = _FIXED.match(text.strip())
    if not m:
        raise ValueError(f"precision '{text}' is not of the form fixed<W,I> (e.g. fixed<16,6>)")
    total, integer = int(m.group(1)), int(m.group(2))
    if not 2 <= total <= 32 or integer >= total:
        raise ValueError(f"precision '{text}': need 2 <= W <= 32 and I < W")
    return total, integer


class PTQConfig(Section):
    """Post-training quantization of a float Keras model (model.kind keras_file)."""

    precision: str = Field(
        "fixed<16,6>",
        description="Default fixed-point type of weights and activations, as in hls4ml: fixed<W,I> "
        "(W bits, I integer bits incl. sign); its W-I fractional bits are always used.",
    )
    integer_bits: Literal["profiled", "fixed"] = Field(
        "profiled",
        description="profiled: integer bits of each activation at least I, more where its range on "
        "the training data needs them (no overflow there); fixed: I everywhere, like hls4ml's default.",
    )
    softmax_table_bits: int = Field(
        10, ge=4, le=16, description="Fraction/output bits of the softmax exp and 1/x tables."
    )
    compare_hls4ml: bool = Field(
        True, description="Also convert the float model with hls4ml at `precision` and report its agreement."
    )

    @field_validator("precision")
    @classmethod
    def _valid(cls, v: str) -> str:
        parse_fixed(v)
        return v


# Keras layer class path -> how to rebuild it (see _rebuild)
_PASS = "pass"  # same layer, no arithmetic to quantize
_DROP = "drop"  # identity at inference
_SUPPORTED = {
    "keras.src.layers.core.input_layer.InputLayer": _PASS,
    "keras.src.layers.core.dense.Dense": "QDense",
    "keras.src.layers.core.einsum_dense.EinsumDense": "QEinsumDense",
    "keras.src.layers.convolutional.conv1d.Conv1D": "QConv1D",
    "keras.src.layers.convolutional.conv2d.Conv2D": "QConv2D",
    "keras.src.layers.normalization.batch_normalization.BatchNormalization": "QBatchNormalization",
    "keras.src.layers.merging.add.Add": "QAdd",
    "keras.src.layers.activations.activation.Activation": "activation",
    "keras.src.layers.activations.relu.ReLU": "activation",
    "keras.src.layers.activations.softmax.Softmax": "QSoftmax",
    "keras.src.layers.pooling.global_average_pooling1d.GlobalAveragePooling1D": "QGlobalAveragePooling1D",
    "keras.src.layers.pooling.global_average_pooling2d.GlobalAveragePooling2D": "QGlobalAveragePooling2D",
    "keras.src.layers.pooling.max_pooling1d.MaxPooling1D": "QMaxPooling1D",
    "keras.src.layers.pooling.max_pooling2d.MaxPooling2D": "QMaxPooling2D",
    "keras.src.layers.pooling.average_pooling1d.AveragePooling1D": "QAveragePooling1D",
    "keras.src.layers.pooling.average_pooling2d.AveragePooling2D": "QAveragePooling2D",
    "keras.src.layers.reshaping.flatten.Flatten": _PASS,
    "keras.src.layers.reshaping.reshape.Reshape": _PASS,
    "keras.src.layers.reshaping.permute.Permute": _PASS,
    "keras.src.layers.regularization.dropout.Dropout": _DROP,
}
_ACTIVATIONS = ("linear", "relu", "softmax")
_WITH_ACTIVATION = ("QDense", "QEinsumDense", "QConv1D", "QConv2D")
_WEIGHTS = {
    "QDense": ("kernel", "bias"),
    "QEinsumDense": ("kernel", "bias"),
    "QConv1D": ("kernel", "bias"),
    "QConv2D": ("kernel", "bias"),
    "QBatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance"),
}


#: HGQ2's names of weights that differ from Keras' (its QBatchNormalization refuses ``gamma``).
_HGQ_NAMES = {"gamma": "bn_gamma", "beta": "bn_beta"}

_HINTS = {
    "MultiHeadAttention": "attention is implemented as HGQ2's hgq.layers.QMultiHeadAttention: train with it",
    "LayerNormalization": "no bit-exact LayerNorm exists in hls4ml; fold it into the next Dense or drop it",
    "LSTM": "recurrent layers are not quantized after training here; train with HGQ2 (QSimpleRNN, QGRU)",
}


def supported_float_layers() -> list[str]:
    return sorted(_SUPPORTED)


def _path(layer) -> str:
    return f"{type(layer).__module__}.{type(layer).__name__}"


def _activation_name(layer) -> str:
    if _path(layer).endswith("ReLU"):
        cfg = layer.get_config()
        plain = not cfg.get("max_value") and not cfg.get("negative_slope") and not cfg.get("threshold")
        return "relu" if plain else "relu(with max_value/negative_slope/threshold)"
    act = getattr(layer, "activation", None)
    return "linear" if act is None else getattr(act, "__name__", str(act))


def _producer(layer):
    (t,) = layer._inbound_nodes[0].input_tensors
    return t._keras_history.operation


def relu_folds(model: keras.Model) -> dict[str, str]:
    """Standalone ReLU layers -> the Dense/EinsumDense/Conv they fold into (as its activation).

    A ReLU between HGQ2 layers is only bit-exact in hls4ml as a layer's activation, so one
    that directly follows a linear Dense/Conv used nowhere else is folded into it.
    """
    folds = {}
    for layer in model.layers:
        if _SUPPORTED.get(_path(layer)) != "activation" or _activation_name(layer) != "relu":
            continue
        prev = _producer(layer)
        if (
            _SUPPORTED.get(_path(prev)) in _WITH_ACTIVATION
            and _activation_name(prev) == "linear"
            and len(prev._outbound_nodes) == 1
        ):
            folds[layer.name] = prev.name
    return folds


def output_sigmoids(model: keras.Model) -> set[str]:
    """Names of the layers whose sigmoid is the model's output (left to software: the design
    outputs the logit)."""
    outs = {id(t._keras_history.operation) for t in model.outputs}
    return {
        layer.name for layer in model.layers if id(layer) in outs and _activation_name(layer) == "sigmoid"
    }


def outputs_of(model: keras.Model, quantized: bool = False) -> str:
    """'probabilities' when the model ends in a softmax (kept, as a table) or a sigmoid (kept by
    the float model only), else 'logits'."""
    last = model.outputs[0]._keras_history.operation
    act = _activation_name(last) if _SUPPORTED.get(_path(last)) != "QSoftmax" else "softmax"
    if act == "softmax" or (act == "sigmoid" and not quantized):
        return "probabilities"
    return "logits"


def check_float_layers(model: keras.Model) -> None:
    """Refuse layers and activations without a bit-exact HGQ2 form, naming the first.

    Raises:
        UnsupportedLayerError: with the layer, its index, its class path and what is supported.
    """
    folds, sigmoids = relu_folds(model), output_sigmoids(model)
    for i, layer in enumerate(model.layers):
        path = _path(layer)
        if path not in _SUPPORTED:
            raise UnsupportedLayerError(
                layer.name,
                path,
                i,
                "post-training quantization to HGQ2",
                [p.rsplit(".", 1)[1] for p in _SUPPORTED],
                _HINTS.get(type(layer).__name__, "train it with HGQ2 instead, or replace the layer"),
            )
        if len(layer._inbound_nodes) > 1:
            raise UnsupportedLayerError(
                layer.name, f"{path} used {len(layer._inbound_nodes)} times", i, "PTQ", ["layers used once"]
            )
        act = _activation_name(layer)
        if _SUPPORTED[path] == "activation" and act == "relu" and layer.name not in folds:
            raise UnsupportedLayerError(
                layer.name,
                f"{path} after {type(_producer(layer)).__name__}",
                i,
                "post-training quantization to HGQ2",
                ["ReLU as the activation of a Dense/EinsumDense/Conv, or right after one"],
                "a standalone ReLU is not bit-exact in hls4ml; give the preceding layer activation='relu'",
            )
        if act == "sigmoid" and layer.name in sigmoids:
            continue
        if act not in _ACTIVATIONS and (hasattr(layer, "activation") or path.endswith("ReLU")):
            raise UnsupportedLayerError(
                layer.name,
                f"{path} with activation '{act}'",
                i,
                "post-training quantization to HGQ2",
                [f"activation {a}" for a in _ACTIVATIONS],
                "tanh/sigmoid/... have no bit-exact table here yet (a sigmoid on the model's output is "
                "fine: the design then outputs the logit)",
            )


def quantize_float_model(model: keras.Model, x_calib, cfg: PTQConfig) -> keras.Model:
    """The HGQ2 equivalent of a float Keras model, calibrated on ``x_calib`` when profiled.

    Raises:
        UnsupportedLayerError: see ``check_float_layers``.
    """
    from hgq import layers as q
    from hgq.config import QuantizerConfigScope
    from hgq.utils import trace_minmax

    check_float_layers(model)
    total, integer = parse_fixed(cfg.precision)
    frac = total - integer
    i_data = integer - 1  # kif counts integer bits without the sign
    t = cfg.softmax_table_bits
    rounding = "RND"  # round half up: the rounding hls4ml and da4ml both implement
    with (
        QuantizerConfigScope(default_q_type="kif"),
        QuantizerConfigScope(
            place=("weight", "bias"),
            q_type="kif",
            k0=True,
            i0=max(i_data, 8),  # saturating; unused integer bits of constants cost nothing
            f0=frac,
            round_mode=rounding,
            overflow_mode="SAT",
            trainable=False,
        ),
        QuantizerConfigScope(
            place="datalane",
            q_type="kif",
            k0=True,
            i0=i_data,
            f0=frac,
            round_mode=rounding if cfg.integer_bits == "profiled" else "TRN",
            overflow_mode="WRAP",
            # not trainable: trace_minmax then only widens (never narrows) the integer bits,
            # so the precision's I is a floor; tight ranges wrap on test data beyond train's
            trainable=False,
        ),
    ):
        softmax = softmax_factory(q, i_data, frac, t)
        folds, sigmoids = relu_folds(model), output_sigmoids(model)
        new_model = _rebuild(model, lambda layer: _hgq_layers(layer, q, softmax, folds, sigmoids))
        round_out = rounding if cfg.integer_bits == "profiled" else "TRN"
        new_model = _quantize_outputs(new_model, q, i_data, frac, round_out)
    for layer in model.layers:
        kind = _SUPPORTED[_path(layer)]
        if kind in _WEIGHTS:
            new = new_model.get_layer(layer.name)
            for attr in _WEIGHTS[kind]:
                if getattr(layer, attr, None) is not None:
                    getattr(new, _HGQ_NAMES.get(attr, attr)).assign(getattr(layer, attr))
    if cfg.integer_bits == "profiled":
        trace_minmax(new_model, x_calib, batch_size=1024, verbose=0)
    return new_model


def _quantize_outputs(model: keras.Model, q, i_data: int, frac: int, rounding: str) -> keras.Model:
    """A saturating quantizer with the precision's fraction bits on each output not already on a
    grid (a softmax table is): the outputs are then ``fixed<W,I>`` (integer bits widened by the
    profile) like hls4ml's default result type, not the full accumulator (weights' plus inputs'
    fraction bits), which float32 (Keras, hls4ml's Python outputs) cannot hold exactly."""
    import keras
    from hgq.config import QuantizerConfig

    outs = []
    for t in model.outputs:
        layer = t._keras_history.operation
        if isinstance(layer, q.QSoftmax):
            outs.append(t)
            continue
        conf = QuantizerConfig(
            "kif",
            "datalane",
            k0=1,
            i0=i_data,
            f0=frac,
            round_mode=rounding,
            overflow_mode="SAT",
            trainable=False,
        )
        outs.append(q.Quantizer(config=conf, name=f"{layer.name}_output_quantizer")(t))
    return keras.Model(model.inputs, outs if len(outs) > 1 else outs[0], name=model.name)


def softmax_factory(q, i_data: int, frac: int, table_bits: int) -> Callable:
    """HGQ2 table softmax with tables of ``table_bits`` (exp input fractions <= 6 bits)."""
    from hgq.config import QuantizerConfig

    t = table_bits

    def softmax(name: str):
        return q.QSoftmax(
            name=name,
            exp_iq_conf=QuantizerConfig("kif", "datalane", i0=i_data, f0=min(frac, 6), trainable=False),
            inv_iq_conf=QuantizerConfig("kif", "datalane", k0=False, i0=i_data, f0=t, trainable=False),
            exp_oq_conf=QuantizerConfig("kbi", "table", k0=False, b0=t + 1, i0=1, trainable=False),
            inv_oq_conf=QuantizerConfig("kbi", "table", k0=False, b0=t + 1, i0=1, trainable=False),
        )

    return softmax


def _hgq_layers(layer, q, softmax: Callable, folds: dict[str, str], sigmoids: set[str] = frozenset()) -> list:
    """The HGQ2 layers (applied in order) that replace one float layer (an output sigmoid is
    left out: the design outputs the logit)."""
    kind = _SUPPORTED[_path(layer)]
    cfg = layer.get_config()
    if kind == _DROP or layer.name in folds or (kind == "activation" and layer.name in sigmoids):
        return []
    if kind == _PASS:
        return [type(layer).from_config(cfg)]
    if kind == "QSoftmax":
        return [softmax(layer.name)]
    if kind == "activation":
        act = _activation_name(layer)
        return [softmax(layer.name)] if act == "softmax" else []  # linear (relu is folded)
    act = cfg.pop("activation", None)
    act_name = act if isinstance(act, str) else getattr(act, "__name__", "linear")
    act_name = "linear" if layer.name in sigmoids else act_name
    for k in ("dtype", "trainable", "lora_rank", "lora_alpha", "quantization_config"):
        cfg.pop(k, None)
    extra = {}
    if act_name == "relu" or layer.name in folds.values():
        extra["activation"] = "relu"
    new = getattr(q, kind)(**cfg, **extra)
    return [new, softmax(f"{layer.name}_softmax")] if act_name == "softmax" else [new]


def _rebuild(model: keras.Model, replace: Callable) -> keras.Model:
    """Rebuild a functional or Sequential model, each layer replaced by ``replace(layer)``
    (a list of layers applied in order)."""
    import keras

    new_of: dict[int, object] = {}
    inputs = [keras.Input(shape=t.shape[1:], name=getattr(t, "name", None)) for t in model.inputs]
    for old, new in zip(model.inputs, inputs, strict=True):
        new_of[id(old)] = new
    for layer in model.layers:
        if _path(layer) == "keras.src.layers.core.input_layer.InputLayer":
            continue
        node = layer._inbound_nodes[0]
        args = [new_of[id(t)] for t in node.input_tensors]
        x = args if len(args) > 1 else args[0]
        for new_layer in replace(layer):
            x = new_layer(x)
        outs = node.output_tensors
        for old_out, new_out in zip(outs, x if isinstance(x, list | tuple) else [x], strict=True):
            new_of[id(old_out)] = new_out
    outputs = [new_of[id(t)] for t in model.outputs]
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=f"{model.name}_hgq_ptq")
