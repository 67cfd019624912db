"""A Keras 2 / QKeras / HGQ v1 layer graph (from ``legacy_export.py``) rebuilt as an equivalent
HGQ2 model with the same weights and quantizers (see ``qkeras.py`` for each quantizer's form).
Float layers (plain Keras 2 models, BatchNormalization) are quantized after training as in
``train/ptq.py``; the model's float inputs get an input quantizer (``ptq.precision``) unless the
model quantizes them itself. A sigmoid on the model's output stays in software (the design
outputs the logit); a trailing softmax becomes HGQ2's table softmax.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...train.ptq import parse_fixed
from .qkeras import check_layers, exact_weight_config, fixed_config, quantizer_of

if TYPE_CHECKING:
    import keras

    from .config import Keras2FileConfig

__all__ = ["rebuild_hgq", "input_quantizer_name", "outputs_of_spec"]

_WEIGHTED = {"Dense": "QDense", "QDense": "QDense", "QDenseBatchnorm": "QDense"}
_WEIGHTED |= {c: "QConv1D" for c in ("Conv1D", "QConv1D")} | {c: "QConv2D" for c in ("Conv2D", "QConv2D")}
_WEIGHTED |= {"QConv2DBatchnorm": "QConv2D"}
_CONV_KEYS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups")


def rebuild_hgq(
    spec: dict, arrays: dict[str, np.ndarray], cfg: Keras2FileConfig, x_calib: np.ndarray
) -> tuple[keras.Model, str | None]:
    """The equivalent HGQ2 model, calibrated; also the name of the layer before a trailing float
    softmax or sigmoid (compare there), or None."""
    from hgq.utils import trace_minmax

    check_layers(spec)
    model, compare_at = _Rebuild(spec, arrays, cfg).model()
    trace_minmax(model, x_calib, batch_size=1024, verbose=0)
    return model, compare_at if compare_at and spec["outputs"] == [spec["layers"][-1]["name"]] else None


class _Rebuild:
    """One pass over the exported layer graph, building HGQ2 tensors layer by layer."""

    def __init__(self, spec: dict, arrays: dict[str, np.ndarray], cfg: Keras2FileConfig) -> None:
        from hgq import layers as q

        from ...train.ptq import softmax_factory

        self.spec, self.arrays, self.cfg, self.q = spec, arrays, cfg, q
        self.layers = spec["layers"]
        self.by_name = {lay["name"]: lay for lay in self.layers}
        self.consumers: dict[str, int] = {}
        for lay in self.layers:
            for src in lay["inbound"]:
                self.consumers[src] = self.consumers.get(src, 0) + 1
        total, self.integer = parse_fixed(cfg.ptq.precision)
        self.frac = total - self.integer
        self.act_round = "RND_CONV" if cfg.rounding == "qkeras" else "RND"
        self.softmax = softmax_factory(q, self.integer - 1, self.frac, cfg.ptq.softmax_table_bits)
        self.tensors: dict[str, object] = {}
        self.compare_at: str | None = None
        self.folded: set[str] = set()  # activations applied by the layer before them
        self.hgq1 = any(lay["class"] == "FixedPointQuantizer" for lay in self.layers)

    def model(self) -> tuple[keras.Model, str | None]:
        import keras
        from hgq.config import QuantizerConfigScope

        inputs = [self.input_tensor(inp) for inp in self.spec["inputs"]]
        floats = QuantizerConfigScope(  # float layers (BatchNorm, float Keras 2 models): ptq.precision
            place=("weight", "bias"),
            q_type="kif",
            k0=True,
            i0=max(self.integer - 1, 8),
            f0=self.frac,
            round_mode="RND",
            overflow_mode="SAT",
            trainable=False,
        )
        with QuantizerConfigScope(default_q_type="kif"), floats:
            for lay in self.layers:
                self.tensors[lay["name"]] = self.layer(lay)
        outputs = [self.tensors[n] for n in self.spec["outputs"]]
        out = outputs[0] if len(outputs) == 1 else outputs
        return keras.Model(inputs, out, name="keras2_import_hgq"), self.compare_at

    def input_tensor(self, inp: dict):
        """A model input, quantized to ``ptq.precision`` unless the model quantizes it itself (a
        quantizer first: another one before it would round twice, not bit-exact in hls4ml)."""
        import keras
        from hgq.config import QuantizerConfig

        t = keras.Input(tuple(inp["shape"]), name=inp["name"])
        if _quantizes_input(self.layers, inp["name"]):
            self.tensors[inp["name"]] = t
            return t
        i, f, rnd = self.integer - 1, self.frac, "RND"
        first = _first_quantizer(self.layers, inp["name"])
        if first is not None:  # the model's own (saturating) input quantizer follows: round once, here
            own = fixed_config(first, self.act_round).config
            i, f, rnd = max(i, int(own["i0"]) + 1), int(own["f0"]), self.act_round
        conf = QuantizerConfig(
            "kif", "datalane", k0=True, i0=i, f0=f, round_mode=rnd, overflow_mode="WRAP", trainable=False
        )
        self.tensors[inp["name"]] = self.q.Quantizer(config=conf, name=f"{inp['name']}_quantizer")(t)
        return t

    def layer(self, lay: dict):
        """The HGQ2 output tensor of one exported layer."""
        cls = lay["class"]
        if cls == "InputLayer":
            return self.tensors.get(lay["name"], self.tensors[self.spec["inputs"][0]["name"]])
        (src,) = lay["inbound"]
        x = self.tensors[src]
        if cls in _WEIGHTED:
            return self.weighted(lay, x)
        if cls in ("BatchNormalization", "QBatchNormalization"):
            return self.batchnorm(lay, x)
        if cls == "FixedPointQuantizer":
            return self.hgq1_quantizer(lay, x)
        if cls in ("Activation", "QActivation", "ReLU"):
            return x if lay["name"] in self.folded else self.activation(lay, x, src)
        if cls in ("Flatten", "Reshape"):
            import keras

            kept = {k: v for k, v in lay["config"].items() if k not in ("dtype", "trainable")}
            return getattr(keras.layers, cls).from_config(kept)(x)
        return x  # Dropout: identity at inference

    def weighted(self, lay: dict, x):
        """QDense / QConv with the exported weights (as QKeras quantized them, or folded with their
        BatchNorm), each kept exactly; then its activation or the one right after it."""
        name, cls, conf = lay["name"], lay["class"], lay["config"]
        act, nxt = quantizer_of(lay, "activation"), self.following_activation(lay)
        kernel, bias = self.weights(lay)
        if _is_sigmoid_q(act) or _is_sigmoid_q(nxt):  # hard sigmoid: x/2 + 1/2 folded in here
            kernel = kernel * 0.5
            bias = (bias if bias is not None else np.zeros(kernel.shape[-1])) * 0.5 + 0.5
        i = self.layers.index(lay)
        kwargs = {
            "use_bias": bias is not None,
            "activation": "relu" if act == "relu" or nxt == "relu" else None,
            "enable_iq": False,
            "name": name,
        }
        quantized = isinstance(quantizer_of(lay, "kernel_quantizer"), dict) or self.hgq1
        if quantized or "kernel_folded" in lay["weights"]:  # the source's own weights, kept exactly
            kwargs["kq_conf"] = exact_weight_config(kernel, name, i, f"{lay['module']}.{cls} kernel")
            if bias is not None:
                kwargs["bq_conf"] = exact_weight_config(bias, name, i, f"{lay['module']}.{cls} bias")
        # else float weights: quantized at ptq.precision (the scope of model())
        kind = _WEIGHTED[cls]
        if kind == "QDense":
            layer = self.q.QDense(conf["units"], **kwargs)
        else:
            layer = getattr(self.q, kind)(**{k: conf[k] for k in _CONV_KEYS if k in conf}, **kwargs)
        x = layer(x)
        layer.kernel.assign(kernel)
        if bias is not None:
            layer.bias.assign(bias)
        if nxt is not None and nxt != "linear":
            self.folded.add(self.next_layer(lay)["name"])
            return self.after(name, nxt, x, self.next_layer(lay)["name"])
        return self.after(name, act, x, f"{name}_act")

    def after(self, name: str, act, x, qname: str):
        """``x`` through the activation ``act`` of layer ``name``."""
        if isinstance(act, dict):
            return self.q.Quantizer(config=fixed_config(act, self.act_round), name=qname)(x)
        if act == "softmax":
            self.compare_at = name
            return self.softmax(f"{name}_softmax")(x)
        if act == "sigmoid":
            self.compare_at = name
        return x  # linear, relu (the layer's own), an output sigmoid (left to software)

    def weights(self, lay: dict) -> tuple[np.ndarray, np.ndarray | None]:
        """Kernel and bias as the source model applies them at inference."""
        w = lay["weights"]
        for pick in (
            ("kernel_folded", "bias_folded"),
            ("kernel_quantized", "bias_quantized"),
            ("kernel", "bias"),
        ):
            if pick[0] in w:
                kernel = self.arrays[w[pick[0]]]
                bias_key = pick[1] if pick[1] in w else "bias"
                return kernel, self.arrays[w[bias_key]] if bias_key in w else None
        raise KeyError(f"layer {lay['name']} has no kernel")

    def next_layer(self, lay: dict) -> dict | None:
        if self.consumers.get(lay["name"], 0) != 1:
            return None
        return next((n for n in self.layers if lay["name"] in n["inbound"]), None)

    def following_activation(self, lay: dict):
        """The activation of the layer right after a linear weighted layer, when that layer is an
        activation only it feeds (a relu or hard sigmoid is then applied here, as hls4ml needs)."""
        if quantizer_of(lay, "activation") not in (None, "linear"):
            return None
        nxt = self.next_layer(lay)
        if nxt is None or nxt["class"] not in ("Activation", "QActivation", "ReLU"):
            return None
        act = "relu" if nxt["class"] == "ReLU" else quantizer_of(nxt, "activation")
        return act if act == "relu" or _is_sigmoid_q(act) else None

    def batchnorm(self, lay: dict, x):
        """A BatchNorm computes in float (Keras 2 and QKeras alike): HGQ2's QBatchNormalization with
        scale and offset at ``ptq.precision`` (agreement measured, not bit-exact)."""
        conf = lay["config"]
        axis = conf.get("axis", -1)
        layer = self.q.QBatchNormalization(
            axis=axis[0] if isinstance(axis, list) else axis,
            epsilon=conf.get("epsilon", 1e-3),
            name=lay["name"],
        )
        x = layer(x)
        w = lay["weights"]
        for src, dst in (("gamma", "bn_gamma"), ("beta", "bn_beta"), ("moving_mean", "moving_mean")):
            if src in w and getattr(layer, dst, None) is not None:
                getattr(layer, dst).assign(self.arrays[w[src]])
        layer.moving_variance.assign(self.arrays[w["moving_variance"]])
        return x

    def hgq1_quantizer(self, lay: dict, x):
        """HGQ v1's FixedPointQuantizer: per element keep_negative k, bits b, integers I (both with
        the sign), rounding and overflow modes -> an HGQ2 quantizer with k, i = I - k, f = b - I."""
        from hgq.config import QuantizerConfig

        w, conf = lay["weights"], lay["config"]
        k, b, integer = (self.arrays[w[n]].astype(np.float64) for n in ("keep_negative", "bits", "integers"))
        zero = b == 0
        kif = [np.where(zero, 0, v) for v in (k, integer - k, b - integer)]
        qconf = QuantizerConfig(
            "kif",
            "datalane",
            k0=1,
            i0=0,
            f0=0,
            round_mode=conf.get("RND", "TRN"),
            overflow_mode=conf.get("SAT", "WRAP"),
            trainable=False,
            homogeneous_axis=(0,),
        )
        layer = self.q.Quantizer(config=qconf, name=lay["name"])
        y = layer(x)
        for var, value in zip((layer.quantizer._k, layer.quantizer._i, layer.quantizer._f), kif, strict=True):
            var.assign(
                np.broadcast_to(value.reshape((1,) * (len(var.shape) - value.ndim) + value.shape), var.shape)
            )
        return y

    def relu_after_quantizer(self, lay: dict, x, src: dict):
        """relu(q(x)) for HGQ v1's ReLU after a FixedPointQuantizer q (k, i, f): the same format,
        unsigned and saturating, clips negative values to 0 and changes nothing else: exact."""
        from hgq.config import QuantizerConfig

        w = src["weights"]
        k, b, integer = (self.arrays[w[n]].astype(np.float64) for n in ("keep_negative", "bits", "integers"))
        kif = [np.zeros_like(k), np.where(b == 0, 0, integer - k), np.where(b == 0, 0, b - integer)]
        conf = QuantizerConfig(
            "kif",
            "datalane",
            k0=0,
            i0=0,
            f0=0,
            round_mode="TRN",
            overflow_mode="SAT",
            trainable=False,
            homogeneous_axis=(0,),
        )
        return self._per_element(self.q.Quantizer(config=conf, name=lay["name"]), x, kif)

    @staticmethod
    def _per_element(layer, x, kif: list[np.ndarray]):
        y = layer(x)
        for var, value in zip((layer.quantizer._k, layer.quantizer._i, layer.quantizer._f), kif, strict=True):
            var.assign(
                np.broadcast_to(value.reshape((1,) * (len(var.shape) - value.ndim) + value.shape), var.shape)
            )
        return y

    def activation(self, lay: dict, x, src: str):
        """A QActivation quantizer, a softmax (a table in hardware), an output sigmoid (left to
        software), or a ReLU folded into its Dense.

        Raises:
            UnsupportedLayerError: a float ReLU that cannot be folded, or a hard sigmoid not right
                after a linear Dense/Conv.
        """
        name = lay["name"]
        act = "relu" if lay["class"] == "ReLU" else quantizer_of(lay, "activation")
        if act == "relu" and self.by_name[src]["class"] == "FixedPointQuantizer":
            return self.relu_after_quantizer(lay, x, self.by_name[src])
        if isinstance(act, dict) and not _is_sigmoid_q(act):
            return self.q.Quantizer(config=fixed_config(act, self.act_round), name=name)(x)
        if act == "softmax":
            self.compare_at = src
            return self.softmax(name)(x)
        if act == "sigmoid" and name in self.spec["outputs"]:
            self.compare_at = src
            return x
        if act in (None, "linear"):
            return x
        from ...errors import UnsupportedLayerError

        what = "relu" if act == "relu" else _describe_act(act)
        raise UnsupportedLayerError(
            name,
            f"{lay['module']}.{lay['class']}({what}) after {self.by_name[src]['class']}",
            self.layers.index(lay),
            "the import",
            [f"{what} right after a linear Dense/Conv (used only there)"],
            f"a standalone {what} is not bit-exact in hls4ml; give the layer before it activation={what}",
        )


def outputs_of_spec(spec: dict, quantized: bool) -> str:
    """'probabilities' when the model ends in a softmax (kept as a table) or a sigmoid (kept by the
    source model only: the design outputs the logit), else 'logits'."""
    last = spec["layers"][-1]
    act = quantizer_of(last, "activation")
    if act == "softmax" or (act == "sigmoid" and not quantized):
        return "probabilities"
    return "logits"


def _describe_act(act) -> str:
    return act["class"] if isinstance(act, dict) else str(act)


def _is_sigmoid_q(act) -> bool:
    return isinstance(act, dict) and act["class"] == "quantized_sigmoid"


def _quantizes_input(layers: list[dict], input_name: str) -> bool:
    """The model's only consumer of ``input_name`` is HGQ v1's wrapping FixedPointQuantizer (the
    design's input quantizer as it is; da4ml needs inputs that wrap)."""
    users = [lay for lay in layers if input_name in lay["inbound"]]
    return (
        len(users) == 1
        and users[0]["class"] == "FixedPointQuantizer"
        and users[0]["config"].get("SAT") == "WRAP"
    )


def _first_quantizer(layers: list[dict], input_name: str) -> dict | None:
    """The QKeras quantized_bits quantizing the model's input (QActivation), if that is its only use."""
    users = [lay for lay in layers if input_name in lay["inbound"]]
    act = quantizer_of(users[0], "activation") if len(users) == 1 else None
    ok = (
        users
        and users[0]["class"] == "QActivation"
        and isinstance(act, dict)
        and act["class"] == "quantized_bits"
    )
    return act if ok else None


def input_quantizer_name(spec: dict) -> str:
    """The layer of the rebuilt model whose output is the quantized input."""
    name = spec["inputs"][0]["name"]
    users = [lay for lay in spec["layers"] if name in lay["inbound"]]
    return users[0]["name"] if _quantizes_input(spec["layers"], name) else f"{name}_quantizer"
