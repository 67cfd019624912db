"""Runs INSIDE the legacy Keras 2 / QKeras venv (``.venv-legacy``), as a script: it imports
nothing from hwcodesign (whose dependencies are not there), only numpy, tf_keras, qkeras.

    python keras2_export.py spec    MODEL [--weights W.h5] [--custom MODULE] OUT_DIR
    python keras2_export.py predict MODEL [--weights W.h5] [--custom MODULE] OUT_DIR X.npy ...

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

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _user_error(msg: str) -> None:
    print(f"USER ERROR: {msg}", file=sys.stderr)
    sys.exit(3)


def load(model_path: Path, weights: Path | None, custom: str | None, floatx: str = "float32"):
    import tf_keras as keras
    from qkeras.utils import _add_supported_quantized_objects

    keras.backend.set_floatx(floatx)
    co: dict = {}
    _add_supported_quantized_objects(co)
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
        _user_error(f"{model_path} is not a readable Keras 2 / QKeras model ({type(e).__name__}: {first})")
    return model


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


def spec(model, out: Path) -> None:
    import numpy as np

    layers, arrays = [], {}
    for layer in model.layers:
        node = layer._inbound_nodes[0] if layer._inbound_nodes else None
        feeding = node.inbound_layers if node is not None else []
        inbound = [f.name for f in (feeding if isinstance(feeding, list) else [feeding])]
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
        layers.append(entry)
    import qkeras
    import tf_keras

    doc = {
        "versions": {"tf-keras": tf_keras.__version__, "qkeras": qkeras.__version__},
        "class": type(model).__name__,
        "inputs": [{"name": t.name.split(":")[0], "shape": list(t.shape[1:])} for t in model.inputs],
        "outputs": [t.name.split("/")[0] for t in model.outputs],
        "layers": layers,
    }
    (out / "spec.json").write_text(json.dumps(doc, indent=1))
    np.savez(out / "weights.npz", **arrays)


def predict(model, out: Path, inputs: list[Path], layer: str | None) -> None:
    """Outputs for each input file; with ``layer``, also that layer's outputs (``.layer.npy``)."""
    import numpy as np
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
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    model = load(a.model, a.weights, a.custom)
    if a.what == "spec":
        spec(model, a.out)
    else:
        predict(model, a.out, a.inputs, a.layer)


if __name__ == "__main__":
    main(sys.argv[1:])
