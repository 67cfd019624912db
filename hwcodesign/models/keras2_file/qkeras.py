"""QKeras quantizers and layers in HGQ2 terms: which ones have an exact HGQ2 form, and that form.

* ``quantized_bits(b, i, keep_negative=k)`` -> fixed point with ``f = b - k - i`` fraction bits,
  saturating; ``quantized_relu(b, i)`` -> unsigned with ``f = b - i``, saturating. QKeras rounds
  half to even (``RND_CONV``): exact here and in hls4ml; da4ml implements only round half up,
  so for the RTL path choose ``rounding: rnd`` (then ties may differ from QKeras: measured).
"""

from __future__ import annotations

__all__ = ["SUPPORTED", "has_quantizers", "check_layers", "fixed_config", "weight_config", "quantizer_of"]

SUPPORTED = ("InputLayer", "Dense", "QDense", "Activation", "QActivation", "Dropout", "Flatten", "Reshape")


def quantizer_of(layer: dict, where: str):
    return layer["quantizers"].get(where)


def has_quantizers(spec: dict) -> bool:
    """Whether the model has QKeras quantizers (else it is a float Keras 2 model)."""
    return any(isinstance(q, dict) for lay in spec["layers"] for q in lay["quantizers"].values())


def check_layers(spec: dict) -> None:
    """Every layer and quantizer has an exact HGQ2 form; the first other one is named.

    Raises:
        UnsupportedLayerError: layer (class and module), index, what is supported.
    """
    from ...errors import UnsupportedLayerError

    for i, layer in enumerate(spec["layers"]):
        where = f"{layer['module']}.{layer['class']}"
        if layer["class"] not in SUPPORTED:
            raise UnsupportedLayerError(layer["name"], where, i, "the Keras 2 / QKeras import", SUPPORTED)
        if layer["nodes"] > 1:
            raise UnsupportedLayerError(
                layer["name"], f"{where} used {layer['nodes']} times", i, "the import", ["layers used once"]
            )
        for slot, q in layer["quantizers"].items():
            problem = _quantizer_problem(q)
            if problem:
                raise UnsupportedLayerError(
                    layer["name"], f"{where} {slot}={_describe(q)}", i, "the import", _SUPPORTED_Q, problem
                )


_SUPPORTED_Q = [
    "quantized_bits(bits, integer, symmetric, keep_negative, alpha=None|1)",
    "quantized_relu(bits, integer)",
    "activations linear, relu, softmax",
]


def _describe(q) -> str:
    if isinstance(q, dict):
        args = ", ".join(
            f"{k}={v}" for k, v in q["config"].items() if k in ("bits", "integer", "alpha", "keep_negative")
        )
        return f"{q['class']}({args})"
    return str(q)


def _quantizer_problem(q) -> str:
    if q is None or isinstance(q, str):
        return (
            "" if q in (None, "linear", "relu", "softmax") else f"activation '{q}' has no bit-exact form here"
        )
    c = q["config"]
    if q["class"] == "quantized_bits":
        if c.get("alpha") not in (None, 1, 1.0):
            return f"alpha={c.get('alpha')!r} scales are not fixed point; use alpha=1"
        if c.get("use_stochastic_rounding"):
            return "stochastic rounding has no hardware form"
        if int(c["bits"]) - int(c.get("keep_negative", 1)) <= 0:
            return "binary/ternary quantizers are not supported"
        return ""
    if q["class"] == "quantized_relu":
        for key, ok in (
            ("use_sigmoid", 0),
            ("negative_slope", 0.0),
            ("relu_upper_bound", None),
            ("use_stochastic_rounding", False),
        ):
            if c.get(key, ok) not in (ok, 0, None, False):
                return f"quantized_relu with {key}={c.get(key)} is not supported"
        return ""
    return f"quantizer {q['class']} is not supported"


def fixed_config(q: dict, rounding: str):
    """HGQ2 QuantizerConfig equivalent to a QKeras quantized_bits / quantized_relu."""
    from hgq.config import QuantizerConfig

    c = q["config"]
    bits, integer = int(c["bits"]), int(c.get("integer", 0))
    if q["class"] == "quantized_relu":
        k, f, overflow = 0, bits - integer, "SAT"
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


def weight_config(q: dict):
    """Weights are exported already quantized; a saturating quantizer of the same format keeps them."""
    from hgq.config import QuantizerConfig

    c = q["config"]
    k = int(c.get("keep_negative", 1))
    bits, integer = int(c["bits"]), int(c.get("integer", 0))
    return QuantizerConfig(
        "kif",
        "weight",
        k0=k,
        i0=integer,
        f0=bits - k - integer,
        round_mode="RND",
        overflow_mode="SAT",
        trainable=False,
    )
