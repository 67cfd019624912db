"""Frontend ``keras2_file``: Keras 2 / QKeras models (``.h5``, or ``.json`` + weights ``.h5``),
the format most hls4ml users have.

Keras 2 and QKeras cannot share the main environment (QKeras 0.9 and hgq2 both install a
``qkeras`` package; Keras 2 needs tf-keras), so the model is read by ``keras2_export.py``
running in ``.venv-legacy`` (``make legacy-venv``, part of the set-up). That script writes
the layer graph, the weights as QKeras quantizes them and QKeras' own predictions; here the
model is rebuilt as an **equivalent HGQ2 model** with the same weights and quantizers:

* ``quantized_bits(b, i, keep_negative=k)`` -> fixed point with ``f = b - k - i`` fraction bits,
  saturating; ``quantized_relu(b, i)`` -> unsigned with ``f = b - i``, saturating. QKeras rounds
  half to even (``RND_CONV``): exact here and in hls4ml; da4ml implements only round half up,
  so for the RTL path choose ``rounding: rnd`` (then ties may differ from QKeras: measured).
* Float layers (plain Keras 2 models, or float parts) are quantized after training as in
  ``ptq.py``; the model's float inputs get an input quantizer (``ptq.precision``).
* QKeras is then run on the quantized test inputs, and its outputs are compared bit for bit
  with the HGQ2 model (before a trailing float softmax, which the hardware replaces by a table).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from ..config_base import Section
from .ptq import PTQConfig, parse_fixed

if TYPE_CHECKING:
    import keras

    from ..config import RunConfig
    from ..records import StepResult
    from ..run import Run

__all__ = ["Keras2FileConfig", "check", "prepare", "legacy_python", "export_spec", "rebuild_hgq"]

EXPORT_SCRIPT = Path(__file__).with_name("keras2_export.py")
LEGACY_INSTALL = "make legacy-venv  (part of `make install`: tf-keras + qkeras in .venv-legacy)"
SUPPORTED = ("InputLayer", "Dense", "QDense", "Activation", "QActivation", "Dropout", "Flatten", "Reshape")


class Keras2FileConfig(Section):
    """A Keras 2 / QKeras model file, read in the isolated legacy environment."""

    kind: Literal["keras2_file"] = Field(description="Model family.")
    path: Path = Field(description="The .h5 model, or the .json architecture.")
    weights: Path | None = Field(
        None, description="Weights of a .json architecture (default: <name>_weights.h5 next to it)."
    )
    custom_objects_module: str | None = Field(
        None, description="Module importable in .venv-legacy whose `custom_objects` dict holds your layers."
    )
    rounding: Literal["qkeras", "rnd"] = Field(
        "qkeras",
        description="Activation rounding: qkeras (half to even, exactly QKeras; no da4ml RTL) or rnd "
        "(half up, RTL path; ties may differ from QKeras).",
    )
    ptq: PTQConfig = Field(default_factory=PTQConfig, description="Float layers and the input quantizer.")
    legacy_python: Path | None = Field(None, description="Python of the legacy venv (default: .venv-legacy).")


def legacy_python(cfg: Keras2FileConfig) -> Path:
    """The legacy venv's Python.

    Raises:
        ToolNotFoundError: no legacy venv.
    """
    from ..errors import ToolNotFoundError

    candidates = (
        [cfg.legacy_python]
        if cfg.legacy_python
        else [Path(sys.prefix).parent / ".venv-legacy" / "bin" / "python"]
    )
    for c in candidates:
        if c is not None and c.is_file():
            return c
    raise ToolNotFoundError(
        "the legacy Keras 2 / QKeras venv",
        "train (model.kind keras2_file)",
        LEGACY_INSTALL,
        "Keras 3 models (keras_file) and QONNX files (onnx_file) work without it",
    )


def _weights(cfg: Keras2FileConfig) -> Path | None:
    if cfg.path.suffix != ".json":
        return None
    return cfg.weights or cfg.path.with_name(f"{cfg.path.stem}_weights.h5")


def _run_legacy(cfg: Keras2FileConfig, args: list[str], workdir: Path) -> None:
    import os

    from ..errors import DataNotFoundError
    from ..tools._process import run_logged

    weights = _weights(cfg)
    cmd = [legacy_python(cfg), "-I", EXPORT_SCRIPT, *args]
    if weights is not None:
        cmd += ["--weights", weights]
    if cfg.custom_objects_module:
        cmd += ["--custom", cfg.custom_objects_module]
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    res = run_logged("keras2-export", cmd, workdir, workdir / f"legacy_{args[0]}.log", env=env, check=False)
    if res.returncode == 3:
        line = next((ln for ln in res.log().splitlines() if ln.startswith("USER ERROR: ")), "")
        raise DataNotFoundError(line.removeprefix("USER ERROR: ") or f"the legacy venv refused {cfg.path}")
    if not res.ok:
        from ..errors import ToolError
        from ..tools._process import tail

        raise ToolError(
            "keras2-export (legacy venv)", res.command, workdir, res.returncode, tail(res.log()), res.log_file
        )


def export_spec(cfg: Keras2FileConfig, cache_root: Path | None) -> tuple[dict, dict[str, np.ndarray]]:
    """The model's layer graph and weights, read in the legacy venv (cached by file content)."""
    from ..cache import ContentCache, cache_dir
    from ..errors import DataNotFoundError

    h = hashlib.sha256(EXPORT_SCRIPT.read_bytes())
    if not cfg.path.is_file():
        raise DataNotFoundError(f"model file not found: {cfg.path} (model.path)")
    weights = _weights(cfg)
    if weights is not None and not weights.is_file():
        raise DataNotFoundError(
            f"{cfg.path.name} holds only the architecture; its weights {weights} were not found "
            f"(model.weights, or <name>_weights.h5 next to the .json)"
        )
    for f in (cfg.path, weights):
        if f is not None:
            h.update(f.read_bytes())
    h.update(str(cfg.custom_objects_module).encode())
    entry, _ = ContentCache(cache_dir("keras2", cache_root)).get_or_make(
        h.hexdigest()[:20], lambda d: _run_legacy(cfg, ["spec", str(cfg.path), str(d)], d)
    )
    with np.load(entry / "weights.npz") as f:
        arrays = {k: f[k] for k in f.files}
    return json.loads((entry / "spec.json").read_text()), arrays


def _q(layer: dict, where: str):
    return layer["quantizers"].get(where)


def has_quantizers(spec: dict) -> bool:
    """Whether the model has QKeras quantizers (else it is a float Keras 2 model)."""
    return any(isinstance(q, dict) for lay in spec["layers"] for q in lay["quantizers"].values())


def check_layers(spec: dict) -> None:
    """Every layer and quantizer has an exact HGQ2 form; the first other one is named.

    Raises:
        UnsupportedLayerError: layer (class and module), index, what is supported.
    """
    from ..errors import UnsupportedLayerError

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


def _fixed(q: dict, rounding: str):
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


def rebuild_hgq(
    spec: dict, arrays: dict[str, np.ndarray], cfg: Keras2FileConfig, x_calib: np.ndarray
) -> tuple[keras.Model, str | None]:
    """The equivalent HGQ2 model, calibrated; also the name of the layer before a trailing float
    softmax (compare there), or None."""
    import keras
    from hgq import layers as q
    from hgq.config import QuantizerConfig, QuantizerConfigScope
    from hgq.utils import trace_minmax

    from .ptq import _softmax_factory

    check_layers(spec)
    total, integer = parse_fixed(cfg.ptq.precision)
    frac = total - integer
    act_round = "RND_CONV" if cfg.rounding == "qkeras" else "RND"
    layers = spec["layers"]
    by_name = {lay["name"]: lay for lay in layers}
    consumers: dict[str, int] = {}
    for lay in layers:
        for src in lay["inbound"]:
            consumers[src] = consumers.get(src, 0) + 1
    tensors: dict[str, object] = {}
    inputs = []
    for inp in spec["inputs"]:
        t = keras.Input(tuple(inp["shape"]), name=inp["name"])
        inputs.append(t)
        # a model that quantizes its inputs itself (QActivation first) has its input format;
        # another quantizer before it would round twice (hls4ml: not bit-exact)
        if _quantizes_input(layers, inp["name"]):
            tensors[inp["name"]] = t
            continue
        qin = q.Quantizer(
            config=QuantizerConfig(
                "kif",
                "datalane",
                k0=True,
                i0=integer - 1,
                f0=frac,
                round_mode="RND",
                overflow_mode="WRAP",
                trainable=False,
            ),
            name=f"{inp['name']}_quantizer",
        )
        tensors[inp["name"]] = qin(t)
    softmax = _softmax_factory(q, integer - 1, frac, cfg.ptq.softmax_table_bits)
    compare_at = None
    with (
        QuantizerConfigScope(default_q_type="kif"),
        QuantizerConfigScope(
            place=("weight", "bias"),
            q_type="kif",
            k0=True,
            i0=max(integer - 1, 8),
            f0=frac,
            round_mode="RND",
            overflow_mode="SAT",
            trainable=False,
        ),
    ):
        for lay in layers:
            cls, name = lay["class"], lay["name"]
            if cls == "InputLayer":
                tensors.setdefault(name, tensors[spec["inputs"][0]["name"]])
                continue
            (src,) = lay["inbound"]
            x = tensors[src]
            act = _q(lay, "activation")
            if cls in ("Dense", "QDense"):
                relu_next = _folds_relu(lay, layers, by_name, consumers)
                kq, bq = _q(lay, "kernel_quantizer"), _q(lay, "bias_quantizer")
                layer = q.QDense(
                    lay["config"]["units"],
                    use_bias=lay["config"].get("use_bias", True),
                    activation="relu" if act == "relu" or relu_next else None,
                    kq_conf=_weight_conf(kq) if isinstance(kq, dict) else None,
                    bq_conf=_weight_conf(bq) if isinstance(bq, dict) else None,
                    enable_iq=False,
                    name=name,
                )
                x = layer(x)
                kernel = arrays[lay["weights"]["kernel_quantized" if isinstance(kq, dict) else "kernel"]]
                layer.kernel.assign(kernel)
                if layer.bias is not None:
                    layer.bias.assign(
                        arrays[lay["weights"]["bias_quantized" if isinstance(bq, dict) else "bias"]]
                    )
                if isinstance(act, dict):
                    x = q.Quantizer(config=_fixed(act, act_round), name=f"{name}_act")(x)
                elif act == "softmax":
                    compare_at = name
                    x = softmax(f"{name}_softmax")(x)
            elif cls in ("Activation", "QActivation"):
                if isinstance(act, dict):
                    x = q.Quantizer(config=_fixed(act, act_round), name=name)(x)
                elif act == "softmax":
                    compare_at = src
                    x = softmax(name)(x)
                elif act == "relu" and not _folded_into(lay, by_name, consumers):
                    from ..errors import UnsupportedLayerError

                    raise UnsupportedLayerError(
                        name,
                        f"{lay['module']}.{cls}(relu) after {by_name[src]['class']}",
                        layers.index(lay),
                        "the import",
                        ["relu right after a Dense/QDense"],
                        "a standalone float ReLU is not bit-exact in hls4ml",
                    )
            elif cls in ("Flatten", "Reshape"):
                x = getattr(keras.layers, cls).from_config(
                    {k: v for k, v in lay["config"].items() if k not in ("dtype", "trainable")}
                )(x)
            tensors[name] = x
    outputs = [tensors[n] for n in spec["outputs"]]
    model = keras.Model(inputs, outputs[0] if len(outputs) == 1 else outputs, name="keras2_import_hgq")
    trace_minmax(model, x_calib, batch_size=1024, verbose=0)
    return model, compare_at if compare_at and spec["outputs"] == [_last(layers)] else None


def _quantizes_input(layers: list[dict], input_name: str) -> bool:
    """The model's only consumer of ``input_name`` is a QActivation with a fixed-point quantizer."""
    users = [lay for lay in layers if input_name in lay["inbound"]]
    return (
        len(users) == 1
        and users[0]["class"] == "QActivation"
        and isinstance(_q(users[0], "activation"), dict)
        and _q(users[0], "activation")["class"] == "quantized_bits"
    )


def input_quantizer_name(spec: dict) -> str:
    """The layer of the rebuilt model whose output is the quantized input."""
    name = spec["inputs"][0]["name"]
    users = [lay for lay in spec["layers"] if name in lay["inbound"]]
    return users[0]["name"] if _quantizes_input(spec["layers"], name) else f"{name}_quantizer"


def _last(layers: list[dict]) -> str:
    return layers[-1]["name"]


def _weight_conf(q: dict):
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


def _folds_relu(lay: dict, layers: list[dict], by_name: dict, consumers: dict) -> bool:
    """A float relu that directly follows this (linear) Dense and is its only consumer."""
    if _q(lay, "activation") not in (None, "linear") or consumers.get(lay["name"], 0) != 1:
        return False
    nxt = next((n for n in layers if lay["name"] in n["inbound"]), None)
    return (
        nxt is not None and nxt["class"] in ("Activation", "QActivation") and _q(nxt, "activation") == "relu"
    )


def _folded_into(relu: dict, by_name: dict, consumers: dict) -> bool:
    src = by_name.get(relu["inbound"][0])
    return (
        src is not None
        and src["class"] in ("Dense", "QDense")
        and _q(src, "activation") in (None, "linear")
        and consumers.get(src["name"], 0) == 1
    )


def check(config: RunConfig) -> None:
    """The legacy venv exists, the file is readable there, its input equals the data's, every
    layer and quantizer has an exact HGQ2 form."""
    from ..data.load import input_shape
    from .common import check_input_shape

    cfg = config.model
    legacy_python(cfg)
    spec, _ = export_spec(cfg, config.cache_dir)
    shape = tuple(spec["inputs"][0]["shape"]) if len(spec["inputs"]) == 1 else None
    check_input_shape(shape, input_shape(config.data), cfg.path.name)
    check_layers(spec)


def prepare(run: Run, out: Path) -> StepResult:
    """Rebuild as HGQ2, calibrate, evaluate; QKeras on the quantized inputs is the check."""
    import keras

    from ..artifacts import KERAS_MODEL, load_dataset
    from ..frameworks import import_keras, versions
    from ..records import Metric, StepResult
    from ..train.metrics import identical_fraction
    from .common import evaluate, finish_model_step
    from .keras3 import count_weights

    import_keras()
    cfg = run.config.model
    ds = load_dataset(run)
    spec, arrays = export_spec(cfg, run.config.cache_dir)
    model, compare_at = rebuild_hgq(spec, arrays, cfg, ds.x_train)
    model.save(out / KERAS_MODEL.filename)
    y_hgq = model.predict(ds.x_test, batch_size=1024, verbose=0)

    quantize_input = keras.Model(model.inputs, model.get_layer(input_quantizer_name(spec)).output)
    x_q = np.asarray(quantize_input.predict(ds.x_test, batch_size=1024, verbose=0))
    legacy_dir = out / "legacy"
    legacy_dir.mkdir()
    np.save(legacy_dir / "x_quantized.npy", x_q)
    np.save(legacy_dir / "x_raw.npy", ds.x_test)
    run.progress("QKeras predictions (legacy venv)", 0, 1)
    args = [
        "predict",
        str(cfg.path),
        str(legacy_dir),
        str(legacy_dir / "x_quantized.npy"),
        str(legacy_dir / "x_raw.npy"),
    ]
    if compare_at:
        args += ["--layer", compare_at]
    _run_legacy(cfg, args, legacy_dir)
    run.progress("QKeras predictions (legacy venv)", 1, 1)
    y_qk = np.load(legacy_dir / "x_quantized.out.npy")
    y_raw = np.load(legacy_dir / "x_raw.out.npy")
    if compare_at:
        ours = keras.Model(model.inputs, model.get_layer(compare_at).output).predict(
            ds.x_test, batch_size=1024, verbose=0
        )
        theirs, where = (
            np.load(legacy_dir / "x_quantized.layer.npy"),
            f"outputs of '{compare_at}' (before the float softmax)",
        )
    else:
        ours, theirs, where = y_hgq, y_qk, "model outputs"
    frac, n_bad, idx = identical_fraction(np.asarray(ours, np.float64), theirs)
    logits = {"float": y_raw, "quantized": y_hgq}
    summary = {k: evaluate(v, ds, None, count_weights(model)) for k, v in logits.items()}
    n = len(ds.x_test)
    metrics, report = finish_model_step(
        out,
        ds,
        logits,
        summary,
        f"evaluation on the test set ({n} samples)",
        {"float": "your Keras 2 / QKeras model (float inputs, Keras 2)", "quantized": "HGQ2 equivalent"},
    )
    legacy = ", ".join(f"{k} {v}" for k, v in spec.get("versions", {}).items())
    if has_quantizers(spec):
        src = (
            f"HGQ2 equivalent vs Keras 2 / QKeras ({legacy}, .venv-legacy) on the quantized test "
            f"inputs, {where}"
        )
        metrics["bit_exact_hgq_vs_qkeras"] = Metric(value=frac, unit="fraction", n=n, source=src)
        entry = {"hgq_vs_qkeras": metrics["bit_exact_hgq_vs_qkeras"]}
    else:  # a float model quantized after training: agreement, not identity, is the measure
        agree = float(np.mean(np.asarray(y_hgq).argmax(1) == y_raw.argmax(1)))
        src = f"HGQ2 PTQ model vs your float Keras 2 model ({legacy}, .venv-legacy), {cfg.ptq.precision}"
        metrics["ptq_vs_float_argmax"] = Metric(value=agree, unit="fraction", n=n, source=src)
        entry = {"ptq_vs_float_argmax": metrics["ptq_vs_float_argmax"]}
    report = report.model_copy(update={"bit_exactness": entry})
    return StepResult(
        metrics=metrics,
        report=report,
        tools={**versions("keras", "hgq2"), **spec.get("versions", {})},
        info={"mismatch_samples": idx, "rounding": cfg.rounding, "n_mismatch": n_bad},
    )
