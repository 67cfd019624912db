"""A Keras 2 / QKeras layer graph (from ``legacy_export.py``) rebuilt as an equivalent HGQ2
model with the same weights and quantizers. Float layers (plain Keras 2 models, or float
parts) are quantized after training as in ``train/ptq.py``; the model's float inputs get an
input quantizer (``ptq.precision``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...train.ptq import parse_fixed
from .qkeras import check_layers, fixed_config, quantizer_of, weight_config

if TYPE_CHECKING:
    import keras

    from .config import Keras2FileConfig

__all__ = ["rebuild_hgq", "input_quantizer_name"]


def rebuild_hgq(
    spec: dict, arrays: dict[str, np.ndarray], cfg: Keras2FileConfig, x_calib: np.ndarray
) -> tuple[keras.Model, str | None]:
    """The equivalent HGQ2 model, calibrated; also the name of the layer before a trailing float
    softmax (compare there), or None."""
    from hgq.utils import trace_minmax

    check_layers(spec)
    model, compare_at = _Rebuild(spec, arrays, cfg).model()
    trace_minmax(model, x_calib, batch_size=1024, verbose=0)
    return model, compare_at if compare_at and spec["outputs"] == [_last(spec["layers"])] else None


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

    def model(self) -> tuple[keras.Model, str | None]:
        import keras
        from hgq.config import QuantizerConfigScope

        inputs = [self.input_tensor(inp) for inp in self.spec["inputs"]]
        weights = QuantizerConfigScope(
            place=("weight", "bias"),
            q_type="kif",
            k0=True,
            i0=max(self.integer - 1, 8),
            f0=self.frac,
            round_mode="RND",
            overflow_mode="SAT",
            trainable=False,
        )
        with QuantizerConfigScope(default_q_type="kif"), weights:
            for lay in self.layers:
                self.tensors[lay["name"]] = self.layer(lay)
        outputs = [self.tensors[n] for n in self.spec["outputs"]]
        out = outputs[0] if len(outputs) == 1 else outputs
        return keras.Model(inputs, out, name="keras2_import_hgq"), self.compare_at

    def input_tensor(self, inp: dict):
        """A model input, quantized to ``ptq.precision`` unless the model quantizes it itself (a
        QActivation first: another quantizer before it would round twice, not bit-exact in hls4ml)."""
        import keras
        from hgq.config import QuantizerConfig

        t = keras.Input(tuple(inp["shape"]), name=inp["name"])
        if _quantizes_input(self.layers, inp["name"]):
            self.tensors[inp["name"]] = t
            return t
        conf = QuantizerConfig(
            "kif",
            "datalane",
            k0=True,
            i0=self.integer - 1,
            f0=self.frac,
            round_mode="RND",
            overflow_mode="WRAP",
            trainable=False,
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
        if cls in ("Dense", "QDense"):
            return self.dense(lay, x)
        if cls in ("Activation", "QActivation"):
            return self.activation(lay, x, src)
        if cls in ("Flatten", "Reshape"):
            import keras

            kept = {k: v for k, v in lay["config"].items() if k not in ("dtype", "trainable")}
            return getattr(keras.layers, cls).from_config(kept)(x)
        return x  # Dropout: identity at inference

    def dense(self, lay: dict, x):
        """QDense with the exported (already quantized) weights, its activation and any float
        ReLU that follows it alone (folded in)."""
        name, act = lay["name"], quantizer_of(lay, "activation")
        relu_next = _folds_relu(lay, self.layers, self.by_name, self.consumers)
        kq, bq = quantizer_of(lay, "kernel_quantizer"), quantizer_of(lay, "bias_quantizer")
        layer = self.q.QDense(
            lay["config"]["units"],
            use_bias=lay["config"].get("use_bias", True),
            activation="relu" if act == "relu" or relu_next else None,
            kq_conf=weight_config(kq) if isinstance(kq, dict) else None,
            bq_conf=weight_config(bq) if isinstance(bq, dict) else None,
            enable_iq=False,
            name=name,
        )
        x = layer(x)
        layer.kernel.assign(
            self.arrays[lay["weights"]["kernel_quantized" if isinstance(kq, dict) else "kernel"]]
        )
        if layer.bias is not None:
            layer.bias.assign(
                self.arrays[lay["weights"]["bias_quantized" if isinstance(bq, dict) else "bias"]]
            )
        if isinstance(act, dict):
            return self.q.Quantizer(config=fixed_config(act, self.act_round), name=f"{name}_act")(x)
        if act == "softmax":
            self.compare_at = name
            return self.softmax(f"{name}_softmax")(x)
        return x

    def activation(self, lay: dict, x, src: str):
        """A QActivation quantizer, a softmax (a table in hardware), or a ReLU folded into its Dense.

        Raises:
            UnsupportedLayerError: a float ReLU that cannot be folded (not bit-exact in hls4ml).
        """
        name, act = lay["name"], quantizer_of(lay, "activation")
        if isinstance(act, dict):
            return self.q.Quantizer(config=fixed_config(act, self.act_round), name=name)(x)
        if act == "softmax":
            self.compare_at = src
            return self.softmax(name)(x)
        if act == "relu" and not _folded_into(lay, self.by_name, self.consumers):
            from ...errors import UnsupportedLayerError

            raise UnsupportedLayerError(
                name,
                f"{lay['module']}.{lay['class']}(relu) after {self.by_name[src]['class']}",
                self.layers.index(lay),
                "the import",
                ["relu right after a Dense/QDense"],
                "a standalone float ReLU is not bit-exact in hls4ml",
            )
        return x


def _quantizes_input(layers: list[dict], input_name: str) -> bool:
    """The model's only consumer of ``input_name`` is a QActivation with a fixed-point quantizer."""
    users = [lay for lay in layers if input_name in lay["inbound"]]
    return (
        len(users) == 1
        and users[0]["class"] == "QActivation"
        and isinstance(quantizer_of(users[0], "activation"), dict)
        and quantizer_of(users[0], "activation")["class"] == "quantized_bits"
    )


def input_quantizer_name(spec: dict) -> str:
    """The layer of the rebuilt model whose output is the quantized input."""
    name = spec["inputs"][0]["name"]
    users = [lay for lay in spec["layers"] if name in lay["inbound"]]
    return users[0]["name"] if _quantizes_input(spec["layers"], name) else f"{name}_quantizer"


def _last(layers: list[dict]) -> str:
    return layers[-1]["name"]


def _folds_relu(lay: dict, layers: list[dict], by_name: dict, consumers: dict) -> bool:
    """A float relu that directly follows this (linear) Dense and is its only consumer."""
    if quantizer_of(lay, "activation") not in (None, "linear") or consumers.get(lay["name"], 0) != 1:
        return False
    nxt = next((n for n in layers if lay["name"] in n["inbound"]), None)
    return (
        nxt is not None
        and nxt["class"] in ("Activation", "QActivation")
        and quantizer_of(nxt, "activation") == "relu"
    )


def _folded_into(relu: dict, by_name: dict, consumers: dict) -> bool:
    src = by_name.get(relu["inbound"][0])
    return (
        src is not None
        and src["class"] in ("Dense", "QDense")
        and quantizer_of(src, "activation") in (None, "linear")
        and consumers.get(src["name"], 0) == 1
    )
