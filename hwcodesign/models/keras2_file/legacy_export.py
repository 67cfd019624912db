"""Runs INSIDE the legacy Keras 2 / QKeras venv (``.venv-legacy``), as a script: it imports
nothing from hwcodesign (whose dependencies are not there), only numpy, tf_keras, qkeras, and
the isolated model packages of ``.venv-legacy/isolated/`` when a model needs them: HGQ v1
(``hgq``, Keras 2: its ``keras`` is tf_keras here) and QKeras for Keras 3 (``qkeras-v3``,
flavour ``qkeras3``, run with Keras 3 instead of tf_keras).

    python keras2_export.py spec    MODEL [--weights W.h5] [--custom MODULE] [--flavour F] OUT_DIR
    python keras2_export.py predict MODEL [--weights W.h5] [--custom MODULE] [--flavour F] OUT_DIR X.npy ...

``spec`` writes ``spec.json`` (every layer: class, config, inbound layers, QKeras quantizer
settings) and ``weights.npz`` (float weights and, for QKeras layers, the weights as their
quantizers quantize them). ``predict`` writes ``<X>.out.npy`` for each input file: the model's
outputs computed by Keras 2 / QKeras itself, in float32 as QKeras always computes (its
quantizers cast to float32; float64 fails inside them).

Errors a user can fix are printed as one line starting with ``USER ERROR:`` and exit code 3.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ISOLATED = Path(sys.prefix) / "isolated"  # requirements/legacy_isolated.txt


def _user_error(msg: str) -> None:
    print(f"USER ERROR: {msg}", file=sys.stderr)
    sys.exit(3)


class _KerasIsTfKeras:
    """Import hook: ``keras`` and ``keras.*`` are ``tf_keras`` and ``tf_keras.*`` (HGQ v1 imports
    Keras 2 as ``keras``; here Keras 2 is tf_keras, and ``keras`` is Keras 3)."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        import importlib.util

        return importlib.util.spec_from_loader(fullname, cls)

    @staticmethod
    def create_module(spec):
        import importlib

        return importlib.import_module("tf_keras" + spec.name[len("keras") :])

    @staticmethod
    def exec_module(module):
        pass


def alias_keras_to_tf_keras() -> None:
    """Make ``import keras`` (and its submodules) give tf_keras, before anything imports keras."""
    for name in [n for n in sys.modules if n == "keras" or n.startswith("keras.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _KerasIsTfKeras)


def _hgq1_objects() -> dict:
    """HGQ v1's layers (``.venv-legacy/isolated/hgq``), its ``keras`` being tf_keras."""
    alias_keras_to_tf_keras()
    sys.path.insert(0, str(ISOLATED / "hgq"))
    try:
        import HGQ  # noqa: F401
        from HGQ.layers import HLayerBase
        from HGQ.proxy.fixed_point_quantizer import FixedPointQuantizer
    except ImportError as e:
        _user_error(
            f"the model uses HGQ (version 1) layers, but HGQ is not in {ISOLATED / 'hgq'} ({e}): make install"
        )
    import HGQ.layers as hl

    found = {n: getattr(hl, n) for n in dir(hl) if isinstance(getattr(hl, n), type)}
    return {**found, "FixedPointQuantizer": FixedPointQuantizer, "HLayerBase": HLayerBase}


def _mentions_hgq(model_path: Path) -> bool:
    try:
        head = model_path.read_bytes()
    except OSError:
        return False
    return b"FixedPointQuantizer" in head or b'"HGQ' in head or b"HQuantize" in head


def load(model_path: Path, weights: Path | None, custom: str | None, flavour: str = "keras2"):
    if flavour == "qkeras3":
        sys.path.insert(0, str(ISOLATED / "qkeras-v3"))
        import keras  # Keras 3, with QKeras for Keras 3 first on the path
    else:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        import tf_keras as keras
    try:
        from qkeras.utils import _add_supported_quantized_objects
    except ImportError as e:
        _user_error(f"QKeras ({flavour}) cannot be imported in the legacy venv ({e}): make install")

    keras.backend.set_floatx("float32")
    co: dict = {}
    _add_supported_quantized_objects(co)
    if flavour == "qkeras3":
        co.update(_qkeras3_fixes())
    if flavour == "keras2" and (
        _mentions_hgq(model_path) or (weights is not None and _mentions_hgq(weights))
    ):
        co.update(_hgq1_objects())
    if custom:
        try:
            mod = importlib.import_module(custom)
        except ImportError as e:
            _user_error(f"model.custom_objects_module '{custom}' cannot be imported in the legacy venv: {e}")
        co.update(getattr(mod, "custom_objects", {}))
    if not model_path.is_file():
        _user_error(f"model file not found: {model_path} (model.path)")
    try:
        if model_path.suffix == ".json":
            model = keras.models.model_from_json(model_path.read_text(), custom_objects=co)
            if weights is None or not weights.is_file():
                _user_error(
                    f"{model_path.name} holds only the architecture; its weights {weights} were not found "
                    f"(model.weights, or <name>_weights.h5 next to it)"
                )
            model.load_weights(str(weights))
        else:
            model = keras.models.load_model(str(model_path), custom_objects=co, compile=False)
    except Exception as e:  # a user file: every failure to read it is the user's to fix
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        what = "QKeras (Keras 3)" if flavour == "qkeras3" else "Keras 2 / QKeras / HGQ v1"
        _user_error(f"{model_path} is not a readable {what} model ({type(e).__name__}: {first})")
    if "HLayerBase" in co and any(isinstance(lay, co["HLayerBase"]) for lay in model.layers):
        from HGQ import to_proxy_model

        try:
            model = to_proxy_model(model)  # HGQ v1's own bit-exact form: Keras layers + FixedPointQuantizer
        except Exception as e:  # HGQ v1's converter on tf-keras 2.21: not every model goes through
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
            _user_error(
                f"{model_path.name} holds HGQ v1 layers, and HGQ's to_proxy_model failed here "
                f"({type(e).__name__}: {first}); save the proxy where the model was trained "
                f"(HGQ.to_proxy_model(model).save('m.h5')) and give that file"
            )
    return model


def _qkeras3_fixes() -> dict:
    """qkeras-v3 1.2.1 layers that cannot read back the config they save: ``QDenseBatchnorm``
    saves its BatchNormalization's ``synchronized`` / ``renorm*`` keys and then refuses them
    (``QConv2DBatchnorm`` drops them; the same is done here). Same weights, same computation."""
    import qkeras

    class QDenseBatchnorm(qkeras.QDenseBatchnorm):  # the same class name: Keras 3 files key weights by it
        @classmethod
        def from_config(cls, config):
            for key in ("synchronized", "renorm", "renorm_clipping", "renorm_momentum"):
                config.pop(key, None)
            return super().from_config(config)

    QDenseBatchnorm.__module__ = qkeras.QDenseBatchnorm.__module__
    return {"QDenseBatchnorm": QDenseBatchnorm}


def _quantizer(q) -> dict | str | None:
    """A QKeras quantizer or a Keras activation as JSON: {"class", "config"} or a name."""
    if q is None:
        return None
    if isinstance(q, str):
        return q
    if hasattr(q, "get_config") and type(q).__module__.startswith("qkeras"):
        return {
            "class": type(q).__name__,
            "config": {k: v for k, v in q.get_config().items() if _jsonable(v)},
        }
    return getattr(q, "__name__", str(q))


def _jsonable(v) -> bool:
    try:
        json.dumps(v)
        return True
    except TypeError:
        return False


def _inbound(layer) -> list[str]:
    """Names of the layers feeding ``layer`` (Keras 2 and Keras 3 graphs)."""
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    if node is None:
        return []
    if hasattr(node, "inbound_layers"):  # Keras 2
        feeding = node.inbound_layers
        return [f.name for f in (feeding if isinstance(feeding, list) else [feeding])]
    return [t._keras_history.operation.name for t in node.input_tensors]  # Keras 3


def _folded(layer, arrays: dict, entry: dict) -> None:
    """A QKeras layer with a BatchNorm folded in (QDenseBatchnorm, QConv2DBatchnorm): the kernel
    and bias it applies at inference, quantized by its own quantizers."""
    import numpy as np

    kernel, bias = layer.get_folded_weights()
    for short, value, attr in (
        ("kernel", kernel, "kernel_quantizer_internal"),
        ("bias", bias, "bias_quantizer_internal"),
    ):
        q = getattr(layer, attr, None)
        arrays[f"{layer.name}/{short}_folded"] = np.asarray(q(value) if q is not None else value)
        entry["weights"][f"{short}_folded"] = f"{layer.name}/{short}_folded"


def _producer(tensor, sep: str = "/") -> str:
    """The name of the layer that computes ``tensor`` (an input: its InputLayer). Keras 3 names
    tensors keras_tensor_N; Keras 2 names them after the layer (``dense/BiasAdd:0``, ``inputs:0``)."""
    history = getattr(tensor, "_keras_history", None)
    layer = getattr(history, "operation", None)  # Keras 3
    return layer.name if layer is not None else tensor.name.split(sep)[0]


def spec(model, out: Path, flavour: str = "keras2") -> None:
    import numpy as np

    layers, arrays = [], {}
    for layer in model.layers:
        inbound = _inbound(layer)
        entry = {
            "name": layer.name,
            "class": type(layer).__name__,
            "module": type(layer).__module__,
            "config": {k: v for k, v in layer.get_config().items() if _jsonable(v)},
            "inbound": inbound,
            "nodes": len(layer._inbound_nodes),
            "quantizers": {},
            "weights": {},
        }
        for attr in ("kernel_quantizer_internal", "bias_quantizer_internal"):
            q = getattr(layer, attr, None)
            if q is not None:
                entry["quantizers"][attr.replace("_internal", "")] = _quantizer(q)
        if hasattr(layer, "quantizer") and type(layer).__name__ == "QActivation":
            entry["quantizers"]["activation"] = _quantizer(layer.quantizer)
        elif hasattr(layer, "activation"):
            entry["quantizers"]["activation"] = _quantizer(layer.activation)
        for w in layer.weights:
            short = w.name.split("/")[-1].split(":")[0]
            key = f"{layer.name}/{short}"
            arrays[key] = w.numpy()
            entry["weights"][short] = key
        for attr, short in (("kernel_quantizer_internal", "kernel"), ("bias_quantizer_internal", "bias")):
            q = getattr(layer, attr, None)
            if q is not None and short in entry["weights"]:
                arrays[f"{layer.name}/{short}_quantized"] = np.asarray(q(arrays[f"{layer.name}/{short}"]))
                entry["weights"][f"{short}_quantized"] = f"{layer.name}/{short}_quantized"
        if hasattr(layer, "get_folded_weights"):
            _folded(layer, arrays, entry)
        if type(layer).__name__ == "FixedPointQuantizer":
            entry["config"].update(RND=layer.RND, SAT=layer.SAT)
        layers.append(entry)
    doc = {
        "versions": _versions(flavour),
        "flavour": flavour,
        "class": type(model).__name__,
        "inputs": [{"name": _producer(t, ":"), "shape": list(t.shape[1:])} for t in model.inputs],
        "outputs": [_producer(t) for t in model.outputs],
        "layers": layers,
    }
    (out / "spec.json").write_text(json.dumps(doc, indent=1))
    np.savez(out / "weights.npz", **arrays)


def _versions(flavour: str) -> dict[str, str]:
    import qkeras

    if flavour == "qkeras3":
        import keras

        return {"keras": keras.__version__, "qkeras-v3": getattr(qkeras, "__version__", "?")}
    import tf_keras

    out = {"tf-keras": tf_keras.__version__, "qkeras": qkeras.__version__}
    if "HGQ" in sys.modules:
        out["hgq"] = sys.modules["HGQ"].__version__
    return out


def predict(model, out: Path, inputs: list[Path], layer: str | None, flavour: str = "keras2") -> None:
    """Outputs for each input file; with ``layer``, also that layer's outputs (``.layer.npy``)."""
    import numpy as np

    if flavour == "qkeras3":
        import keras
    else:
        import tf_keras as keras

    inner = keras.Model(model.inputs, model.get_layer(layer).output) if layer else None
    for f in inputs:
        x = np.load(f).astype("float64")
        y = model.predict(x, batch_size=1024, verbose=0)
        np.save(out / f"{f.stem}.out.npy", np.asarray(y, dtype=np.float64).reshape(len(x), -1))
        if inner is not None:
            y = inner.predict(x, batch_size=1024, verbose=0)
            np.save(out / f"{f.stem}.layer.npy", np.asarray(y, dtype=np.float64).reshape(len(x), -1))


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("spec", "predict"))
    ap.add_argument("model", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("inputs", nargs="*", type=Path)
    ap.add_argument("--weights", type=Path)
    ap.add_argument("--custom")
    ap.add_argument("--layer")
    ap.add_argument("--flavour", choices=("keras2", "qkeras3"), default="keras2")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    model = load(a.model, a.weights, a.custom, a.flavour)
    if a.what == "spec":
        spec(model, a.out, a.flavour)
    else:
        predict(model, a.out, a.inputs, a.layer, a.flavour)


if __name__ == "__main__":
    main(sys.argv[1:])
