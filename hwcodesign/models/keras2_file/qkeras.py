"""QKeras (and HGQ v1) quantizers and layers in HGQ2 terms: which have an exact HGQ2 form, and that form.

* ``quantized_bits(b, i, keep_negative=k)`` -> fixed point with ``f = b - k - i`` fraction bits,
  saturating; ``quantized_relu(b, i)`` -> unsigned with ``f = b - i``, saturating;
  ``quantized_tanh(b)`` (QKeras' default: ``2 * hard_sigmoid(x) - 1 = clip(x, -1, 1)``) -> signed
  with ``b - 1`` fraction bits, saturating; ``quantized_sigmoid(b)`` (hard: ``clip(x/2 + 1/2, 0, 1)``)
  -> ``x/2 + 1/2`` folded into the Dense/Conv before it, then unsigned with ``b`` fraction bits.
* Weights: QKeras' own quantized weights are exported; any quantizer whose values are fixed
  point (``quantized_bits`` with ``alpha`` 1 or ``'auto_po2'``, ``quantized_po2``, ``binary``,
  ``ternary``) is kept exactly (the weight format is read off the values). ``alpha='auto'``
  (float per-channel scales) and stochastic rounding have no fixed-point form.
* Rounding: QKeras rounds half to even (``RND_CONV``): exact here and in hls4ml; da4ml implements
  round half up only, so the RTL path needs ``rounding: rnd`` (ties may then differ from QKeras,
  measured in the report). HGQ v1 rounds as its ``FixedPointQuantizer`` says (``RND``: half up,
  ``TRN``): the same modes da4ml implements, so HGQ v1 models are bit-exact through the RTL.
"""

from __future__ import annotations

__all__ = [
    "SUPPORTED",
    "FLOAT_LAYERS",
    "has_quantizers",
    "check_layers",
    "fixed_config",
    "exact_weight_config",
    "quantizer_of",
]

SUPPORTED = (
    "InputLayer",
    "Dense",
    "QDense",
    "Conv1D",
    "Conv2D",
    "QConv1D",
    "QConv2D",
    "QDenseBatchnorm",
    "QConv2DBatchnorm",
    "BatchNormalization",
    "QBatchNormalization",
    "Activation",
    "QActivation",
    "ReLU",
    "FixedPointQuantizer",
    "Dropout",
    "Flatten",
    "Reshape",
)
#: Layers whose output is a float computation in Keras/QKeras (not fixed point): quantized after
#: training like a float model (``ptq.precision``); the report measures how often they agree.
FLOAT_LAYERS = ("BatchNormalization", "QBatchNormalization")
#: Quantizers whose output values are powers of two or {-1, 0, 1} times a constant: exact as
#: weights (the exported weights are what they computed), not as activations.
_WEIGHT_ONLY = ("quantized_po2", "quantized_relu_po2", "binary", "ternary")


def quantizer_of(layer: dict, where: str):
    return layer["quantizers"].get(where)


def has_quantizers(spec: dict) -> bool:
    """Whether the model has QKeras or HGQ v1 quantizers (else it is a float Keras 2 model)."""
    return any(isinstance(q, dict) for lay in spec["layers"] for q in lay["quantizers"].values()) or any(
        lay["class"] == "FixedPointQuantizer" for lay in spec["layers"]
    )


def check_layers(spec: dict) -> None:
    """Every layer and quantizer has an exact HGQ2 form; the first other one is named.

    Raises:
        UnsupportedLayerError: layer (class and module), index, what is supported and what would work.
    """
    from ...errors import UnsupportedLayerError

    for i, layer in enumerate(spec["layers"]):
        where = f"{layer['module']}.{layer['class']}"
        if layer["class"] not in SUPPORTED:
            raise UnsupportedLayerError(
                layer["name"], where, i, "the Keras 2 / QKeras / HGQ v1 import", SUPPORTED, _layer_hint(layer)
            )
        if layer["nodes"] > 1:
            raise UnsupportedLayerError(
                layer["name"], f"{where} used {layer['nodes']} times", i, "the import", ["layers used once"]
            )
        for slot, q in layer["quantizers"].items():
            problem = _quantizer_problem(q, slot)
            if problem:
                raise UnsupportedLayerError(
                    layer["name"], f"{where} {slot}={_describe(q)}", i, "the import", _SUPPORTED_Q, problem
                )


def _layer_hint(layer: dict) -> str:
    if "Pooling" in layer["class"]:
        return (
            "pooling is not imported from Keras 2 yet: save the model without it, or use HGQ2 (QMaxPooling2D)"
        )
    if "Depthwise" in layer["class"] or "Separable" in layer["class"]:
        return "depthwise/separable convolutions have no HGQ2 layer: use QConv2D"
    return "rebuild the model with the supported layers, or train it with HGQ2"


_SUPPORTED_Q = [
    "quantized_bits(bits, integer, symmetric, keep_negative, alpha=None|1; weights also alpha='auto_po2')",
    "quantized_relu(bits, integer)",
    "quantized_tanh(bits, symmetric) (QKeras' default hard tanh)",
    "quantized_sigmoid(bits) (hard sigmoid, as the activation of a Dense/Conv or right after one)",
    "quantized_po2, quantized_relu_po2, binary, ternary: as weight quantizers (alpha None, 1 or 'auto_po2')",
    "activations linear, relu, softmax; sigmoid on the model's output",
]


def _describe(q) -> str:
    if isinstance(q, dict):
        keys = ("bits", "integer", "alpha", "keep_negative", "use_real_tanh", "use_real_sigmoid", "max_value")
        args = ", ".join(f"{k}={v}" for k, v in q["config"].items() if k in keys)
        return f"{q['class']}({args})"
    return str(q)


def _quantizer_problem(q, slot: str = "activation") -> str:
    """Why ``q`` in ``slot`` (kernel_quantizer, bias_quantizer, activation) has no exact HGQ2 form, or ''."""
    if q is None or isinstance(q, str):
        ok = (None, "linear", "relu", "softmax", "sigmoid")
        return "" if q in ok else f"activation '{q}' has no bit-exact form here (a table over every input)"
    c, cls = q["config"], q["class"]
    if c.get("use_stochastic_rounding") or cls.startswith("stochastic"):
        return "stochastic rounding has no hardware form"
    if slot != "activation":
        if c.get("alpha") == "auto":
            return (
                "alpha='auto' scales each channel by a float, which no fixed-point design reproduces; "
                "use alpha='auto_po2' or 1"
            )
        known = ("quantized_bits", *_WEIGHT_ONLY)
        return "" if cls in known else f"weight quantizer {cls} is not supported"
    return _activation_problem(cls, c)


def _activation_problem(cls: str, c: dict) -> str:
    if cls in _WEIGHT_ONLY:
        return (
            f"{cls} as an activation is a {'logarithmic' if 'po2' in cls else 'sign'} quantizer with no "
            f"HGQ2 (fixed-point) form; use it for weights, and quantized_bits / quantized_relu for "
            f"activations"
        )
    if cls == "quantized_bits":
        if c.get("alpha") not in (None, 1, 1.0):
            return f"alpha={c.get('alpha')!r} on an activation is a data-dependent scale; use alpha=1"
        if int(c["bits"]) - int(c.get("keep_negative", 1)) <= 0:
            return "a 1-bit signed activation is a sign function: no fixed-point form"
        return ""
    if cls == "quantized_relu":
        for key, ok in (("use_sigmoid", 0), ("negative_slope", 0.0), ("relu_upper_bound", None)):
            if c.get(key, ok) not in (ok, 0, None, False):
                return f"quantized_relu with {key}={c.get(key)} is not supported"
        return ""
    if cls == "quantized_tanh":
        return (
            "use_real_tanh=True needs a table of tanh; the default hard tanh is exact"
            if c.get("use_real_tanh")
            else ""
        )
    if cls == "quantized_sigmoid":
        if c.get("use_real_sigmoid"):
            return "use_real_sigmoid=True needs a table of the sigmoid; the default hard sigmoid is exact"
        return "symmetric=1 is not supported for quantized_sigmoid" if c.get("symmetric") else ""
    return f"quantizer {cls} is not supported"


def fixed_config(q: dict, rounding: str):
    """HGQ2 QuantizerConfig equivalent to a QKeras quantized_bits / quantized_relu."""
    from hgq.config import QuantizerConfig

    c = q["config"]
    bits, integer = int(c["bits"]), int(c.get("integer", 0))
    if q["class"] == "quantized_relu":
        k, f, overflow = 0, bits - integer, "SAT"
    elif q["class"] == "quantized_tanh":
        k, integer, f, overflow = 1, 0, bits - 1, "SAT_SYM" if c.get("symmetric") else "SAT"
    elif q["class"] == "quantized_sigmoid":
        k, integer, f, overflow = 0, 0, bits, "SAT"
    else:
        k = int(c.get("keep_negative", 1))
        f, overflow = bits - k - integer, "SAT_SYM" if c.get("symmetric") else "SAT"
    return QuantizerConfig(
        "kif",
        "datalane",
        k0=k,
        i0=integer,
        f0=f,
        round_mode=rounding,
        overflow_mode=overflow,
        trainable=False,
    )


def exact_weight_config(values, name: str, index: int, where: str):
    """A constant quantizer that keeps ``values`` (weights as QKeras or HGQ v1 computed them)
    exactly: the fewest fraction bits that represent them all, enough integer bits.

    Raises:
        UnsupportedLayerError: the values are not fixed point (e.g. float per-channel scales).
    """
    import numpy as np
    from hgq.config import QuantizerConfig

    v = np.asarray(values, np.float64)
    f = next((f for f in range(0, 33) if np.array_equal(np.round(v * 2.0**f), v * 2.0**f)), None)
    if f is None:
        from ...errors import UnsupportedLayerError

        raise UnsupportedLayerError(
            name,
            where,
            index,
            "the import",
            ["weights that are fixed-point numbers"],
            "its quantized weights are not fixed point within 32 fraction bits (a float scale, e.g. "
            "alpha='auto'); use alpha=1 or 'auto_po2'",
        )
    top = float(np.max(np.abs(v))) if v.size else 0.0
    i = max(int(np.ceil(np.log2(top + 2.0**-f))) + 1, 0) if top > 0 else 0
    return QuantizerConfig(
        "kif", "weight", k0=1, i0=i, f0=f, round_mode="RND", overflow_mode="SAT", trainable=False
    )
