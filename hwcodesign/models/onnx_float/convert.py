"""A float ONNX model (no quantizers: exported from a float PyTorch or Keras model) as an
equivalent float Keras 3 model with the same weights, which post-training quantization
(``train/ptq.py``) then turns into HGQ2.

* ``Gemm`` / ``MatMul`` with constant weights -> ``Dense``; ``Conv`` 1D/2D (one group, pads
  none or "same" at stride 1) -> ``Conv1D``/``Conv2D``. A constant ``Add`` (a bias), a
  ``BatchNormalization``, then a ``Relu`` or ``Sigmoid`` right after one of them, used only
  there, are folded into it (exact in float; a ReLU must sit on a Dense/Conv for hls4ml).
* ``Relu``, ``Sigmoid``, ``Softmax`` (last axis), ``Add`` of two tensors, ``BatchNormalization``,
  ``MaxPool`` / ``AveragePool`` (no pads), ``GlobalAveragePool`` (or a ``ReduceMean`` over the
  spatial axes), ``Flatten``, ``Reshape``; ``Identity``, ``Dropout`` and ``Constant`` are wiring.
* Layout: ONNX is channels first, Keras (and hls4ml) channels last. A tensor entering a Conv is
  reordered once: a ``Reshape`` when it has one channel, else a ``Permute``. A ``Flatten``
  after a Conv feeds the next Dense, whose kernel rows are reordered instead. The Keras model
  takes and gives the ONNX model's tensors.

Any other op (or attribute) is refused with the node's name, its index and what is supported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import ConfigError, UnsupportedLayerError
from .graph import (
    BACKEND,
    HINT,
    PAD_HINT,
    STANDARD_DOMAINS,
    SUPPORTED_OPS,
    attrs,
    clean_name,
    conv_out,
    op_hint,
    padding,
    tensor_dims,
)

if TYPE_CHECKING:
    import keras
    import onnx

__all__ = ["onnx_to_keras"]


@dataclass
class _T:
    """A converted tensor: its Keras tensor, its layout and its ONNX shape per sample."""

    keras: Any
    shape: tuple[int, ...]
    layout: str = "onnx"  # onnx | last (channels moved to the end) | flat_last (flattened from last)
    before_flatten: tuple[int, ...] = ()  # flat_last: the (C, *spatial) shape that was flattened


@dataclass
class _Linear:
    """A Dense or Conv being assembled, with what follows it folded in."""

    kind: str  # Dense | Conv1D | Conv2D
    name: str
    kernel: np.ndarray  # Keras layout, output channels last
    bias: np.ndarray | None
    options: dict = field(default_factory=dict)
    activation: str | None = None


def onnx_to_keras(model: onnx.ModelProto, name: str = "onnx_float") -> keras.Model:
    """The float Keras 3 model computing what ``model`` computes.

    Raises:
        UnsupportedLayerError: an op or attribute with no equivalent here (node, index, supported).
        ConfigError: more or fewer than one input, or an input of unknown size.
    """
    return _Converter(model).build(name)


class _Converter:
    """One pass over the ONNX nodes (in their topological order), building Keras tensors."""

    def __init__(self, model: onnx.ModelProto) -> None:
        from onnx import numpy_helper

        self.graph = model.graph
        self.consts = {t.name: numpy_helper.to_array(t) for t in self.graph.initializer}
        self.nodes = list(self.graph.node)
        self.tensors: dict[str, _T] = {}
        self.folded: set[int] = set()
        self.used_names: set[str] = set()
        self.outputs = {o.name for o in self.graph.output}
        self.consumers: dict[str, list[int]] = {}
        for i, node in enumerate(self.nodes):
            for t in node.input:
                self.consumers.setdefault(t, []).append(i)

    def build(self, name: str) -> keras.Model:
        import keras

        inp = self.model_input()
        handlers = {op: getattr(self, f"op_{op.lower()}") for op in SUPPORTED_OPS}
        for i, node in enumerate(self.nodes):
            if i in self.folded:
                continue
            if node.op_type not in handlers or node.domain not in STANDARD_DOMAINS:
                self.refuse(i, f"ONNX {node.op_type}", op_hint(node.op_type))
            handlers[node.op_type](i, node)
        outs = []
        for o in self.graph.output:
            if o.name not in self.tensors:
                raise ConfigError(f"ONNX output '{o.name}' is a constant, not computed from the input")
            outs.append(self.to_onnx_layout(self.tensors[o.name], f"{o.name}_to_onnx_layout").keras)
        return keras.Model(inp, outs[0] if len(outs) == 1 else outs, name=clean_name(name) or "onnx_float")

    # -- helpers -------------------------------------------------------------------------
    def model_input(self):
        import keras

        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise ConfigError(f"the ONNX model has {len(inputs)} inputs; one input is supported")
        dims = tensor_dims(inputs[0])
        if len(dims) < 2 or any(d is None or d <= 0 for d in dims[1:]):
            raise ConfigError(
                f"ONNX input '{inputs[0].name}' has shape {dims}: every axis but the batch needs a fixed size"
            )
        t = keras.Input(tuple(dims[1:]), name=self.name(inputs[0].name))
        self.tensors[inputs[0].name] = _T(t, tuple(dims[1:]))
        return t

    def refuse(self, i: int, what: str, hint: str = HINT) -> None:
        node = self.nodes[i]
        raise UnsupportedLayerError(node.name or node.output[0], what, i, BACKEND, SUPPORTED_OPS, hint)

    def name(self, raw: str) -> str:
        base = clean_name(raw) or "layer"
        out, k = base, 1
        while out in self.used_names:
            out, k = f"{base}_{k}", k + 1
        self.used_names.add(out)
        return out

    def const(self, name: str) -> np.ndarray | None:
        return self.consts.get(name)

    def tensor(self, i: int, name: str) -> _T:
        if name not in self.tensors:
            self.refuse(i, f"ONNX {self.nodes[i].op_type} on a constant input '{name}'")
        return self.tensors[name]

    def only_consumer(self, tensor: str) -> tuple[int, Any] | None:
        """The node that alone reads ``tensor`` (not a model output), or None."""
        users = self.consumers.get(tensor, [])
        if len(users) != 1 or tensor in self.outputs:
            return None
        return users[0], self.nodes[users[0]]

    def to_last(self, t: _T, name: str) -> _T:
        """Channels (axis 1 of ONNX) moved to the end, once."""
        if t.layout == "last" or len(t.shape) < 2:
            return _T(t.keras, t.shape, "last" if len(t.shape) >= 2 else t.layout)
        r = len(t.shape)
        return _T(self.permute(t, (*range(1, r), 0), name), t.shape, "last")

    def to_onnx_layout(self, t: _T, name: str) -> _T:
        if t.layout != "last" or len(t.shape) < 2:
            return t
        r = len(t.shape)
        return _T(self.permute(t, (r - 1, *range(r - 1)), name), t.shape)

    def permute(self, t: _T, perm: tuple[int, ...], name: str):
        """``t`` with its axes (per sample) in the order ``perm``: a Reshape when that keeps the
        order of the axes longer than 1 (one channel, or one pixel), else a Permute."""
        import keras

        now = t.shape if t.layout != "last" else (*t.shape[1:], t.shape[0])
        new = tuple(now[p] for p in perm)
        if [p for p in perm if now[p] > 1] == [k for k in range(len(now)) if now[k] > 1]:
            return keras.layers.Reshape(new, name=self.name(name))(t.keras)
        return keras.layers.Permute(tuple(p + 1 for p in perm), name=self.name(name))(t.keras)

    # -- linear layers -------------------------------------------------------------------
    def op_gemm(self, i: int, node) -> None:
        a = attrs(node)
        w = self.const(node.input[1])
        if a.get("transA", 0) or w is None or w.ndim != 2 or node.input[0] in self.consts:
            self.refuse(i, "ONNX Gemm (transA=1 or non-constant weights)", "Gemm(x, W, b) with constant W, b")
        kernel = (w.T if a.get("transB", 0) else w) * a.get("alpha", 1.0)
        c = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        bias = None if c is None else np.broadcast_to(c * a.get("beta", 1.0), kernel.shape[1:]).copy()
        self.dense(i, node, kernel, bias)

    def op_matmul(self, i: int, node) -> None:
        w = self.const(node.input[1])
        if w is None or w.ndim != 2 or node.input[0] in self.consts:
            self.refuse(i, "ONNX MatMul of two tensors", "MatMul(x, W) with a constant 2-D W")
        self.dense(i, node, w, None)

    def dense(self, i: int, node, kernel: np.ndarray, bias: np.ndarray | None) -> None:
        x = self.tensor(i, node.input[0])
        if x.layout == "flat_last":  # a Flatten of channels-last data: reorder the kernel's rows
            c, *spatial = x.before_flatten
            k = kernel.reshape(c, *spatial, -1)
            kernel = np.moveaxis(k, 0, -2).reshape(kernel.shape)
            x = _T(x.keras, x.shape)
        x = self.to_onnx_layout(x, f"{node.name}_to_onnx_layout")
        lin = _Linear("Dense", node.name or node.output[0], kernel.astype(np.float32), bias)
        self.emit(i, node, x, lin, (*x.shape[:-1], kernel.shape[1]))

    def op_conv(self, i: int, node) -> None:
        a = attrs(node)
        w = self.const(node.input[1])
        x = self.tensor(i, node.input[0])
        rank = len(x.shape) - 1
        if w is None or rank not in (1, 2) or a.get("group", 1) != 1:
            self.refuse(
                i, "ONNX Conv (not 1D/2D, grouped, or non-constant weights)", "Conv1d/Conv2d, groups=1"
            )
        k = tuple(w.shape[2:])
        strides = tuple(a.get("strides", (1,) * rank))
        pad = padding(a, k, strides)
        if pad is None:
            self.refuse(i, f"ONNX Conv with pads {a.get('pads')} / auto_pad {a.get('auto_pad')}", PAD_HINT)
        b = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        kernel = np.transpose(w, (*range(2, 2 + rank), 1, 0)).astype(np.float32)
        options = {
            "kernel_size": k,
            "strides": strides,
            "padding": pad,
            "dilation_rate": tuple(a.get("dilations", (1,) * rank)),
        }
        spatial = conv_out(x.shape[1:], k, strides, options["dilation_rate"], pad)
        lin = _Linear(f"Conv{rank}D", node.name or node.output[0], kernel, b, options)
        self.emit(i, node, self.to_last(x, f"{node.name}_to_channels_last"), lin, (w.shape[0], *spatial))

    def emit(self, i: int, node, x: _T, lin: _Linear, shape: tuple[int, ...]) -> None:
        """Fold what follows into ``lin``, then make its Keras layer."""
        import keras

        out = self.fold_following(node.output[0], lin, shape)
        n_out = lin.kernel.shape[-1]
        common = {"use_bias": lin.bias is not None, "activation": lin.activation, "name": self.name(lin.name)}
        if lin.kind == "Dense":
            layer = keras.layers.Dense(n_out, **common)
        else:
            layer = getattr(keras.layers, lin.kind)(n_out, **lin.options, **common)
        y = layer(x.keras)
        layer.kernel.assign(lin.kernel)
        if lin.bias is not None:
            layer.bias.assign(lin.bias.astype(np.float32))
        self.tensors[out] = _T(y, shape, "last" if lin.kind != "Dense" else "onnx")

    def fold_following(self, tensor: str, lin: _Linear, shape: tuple[int, ...]) -> str:
        """Fold a constant Add, a BatchNormalization, then a Relu/Sigmoid reading only ``tensor``
        (of ONNX shape ``shape`` per sample) into ``lin``; the name of the last tensor folded in."""
        channel_axis = 0 if lin.kind != "Dense" else len(shape) - 1
        while (user := self.only_consumer(tensor)) is not None:
            j, node = user
            if node.op_type == "Add" and lin.activation is None and self.fold_add(node, tensor, lin, shape):
                pass
            elif node.op_type == "BatchNormalization" and lin.activation is None and channel_axis == 0:
                scale, offset = self.batchnorm_affine(j, node)
                lin.kernel = (lin.kernel * scale).astype(np.float32)
                lin.bias = (0.0 if lin.bias is None else lin.bias) * scale + offset
            elif node.op_type in ("Relu", "Sigmoid") and lin.activation is None:
                lin.activation = node.op_type.lower()
            else:
                break
            self.folded.add(j)
            tensor = node.output[0]
        return tensor

    def fold_add(self, node, tensor: str, lin: _Linear, shape: tuple[int, ...]) -> bool:
        """Add a constant that is one value per output channel to the bias (False if it is not)."""
        other = node.input[1] if node.input[0] == tensor else node.input[0]
        c = self.const(other)
        if c is None:
            return False
        try:
            full = np.broadcast_to(c, (1, *shape))
        except ValueError:
            return False
        if full.shape != (1, *shape):
            return False
        per_channel = np.moveaxis(full, 1 if lin.kind != "Dense" else -1, -1).reshape(
            -1, lin.kernel.shape[-1]
        )
        if not np.all(per_channel == per_channel[:1]):
            return False
        lin.bias = (0.0 if lin.bias is None else lin.bias) + per_channel[0]
        return True

    def batchnorm_affine(self, i: int, node) -> tuple[np.ndarray, np.ndarray]:
        """BatchNormalization at inference as ``x * scale + offset`` per channel."""
        params = [self.const(t) for t in node.input[1:5]]
        if any(p is None for p in params) or len(node.output) > 1:
            self.refuse(i, "ONNX BatchNormalization in training mode or with non-constant parameters")
        gamma, beta, mean, var = (p.astype(np.float64) for p in params)
        scale = gamma / np.sqrt(var + attrs(node).get("epsilon", 1e-5))
        return scale, beta - mean * scale

    # -- other layers --------------------------------------------------------------------
    def op_batchnormalization(self, i: int, node) -> None:
        import keras

        x = self.tensor(i, node.input[0])
        x = self.to_last(x, f"{node.name}_to_channels_last") if len(x.shape) > 1 else x
        params = [self.const(t) for t in node.input[1:5]]
        if any(p is None for p in params) or len(node.output) > 1:
            self.refuse(i, "ONNX BatchNormalization in training mode or with non-constant parameters")
        layer = keras.layers.BatchNormalization(
            epsilon=attrs(node).get("epsilon", 1e-5), name=self.name(node.name)
        )
        y = layer(x.keras)
        layer.set_weights([p.astype(np.float32) for p in params])
        self.tensors[node.output[0]] = _T(y, x.shape, x.layout)

    def op_relu(self, i: int, node) -> None:
        self.activation(i, node, "relu")

    def op_sigmoid(self, i: int, node) -> None:
        self.activation(i, node, "sigmoid")

    def activation(self, i: int, node, what: str) -> None:
        import keras

        x = self.tensor(i, node.input[0])
        y = keras.layers.Activation(what, name=self.name(node.name or node.output[0]))(x.keras)
        self.tensors[node.output[0]] = _T(y, x.shape, x.layout, x.before_flatten)

    def op_softmax(self, i: int, node) -> None:
        import keras

        x = self.to_onnx_layout(self.tensor(i, node.input[0]), f"{node.name}_to_onnx_layout")
        axis = attrs(node).get("axis", -1)
        if axis not in (-1, len(x.shape)):
            self.refuse(i, f"ONNX Softmax over axis {axis}", "softmax over the last axis")
        y = keras.layers.Softmax(axis=-1, name=self.name(node.name or node.output[0]))(x.keras)
        self.tensors[node.output[0]] = _T(y, x.shape)

    def op_add(self, i: int, node) -> None:
        import keras

        if any(t in self.consts for t in node.input):
            self.refuse(
                i, "ONNX Add of a constant", "a constant Add is folded only as the bias of a Gemm/MatMul/Conv"
            )
        a, b = (self.tensor(i, t) for t in node.input)
        if a.shape != b.shape:
            self.refuse(i, f"ONNX Add of shapes {a.shape} and {b.shape} (broadcast)", "Add of equal shapes")
        if a.layout != b.layout:
            a, b = (self.to_onnx_layout(t, f"{node.name}_{k}_to_onnx_layout") for k, t in enumerate((a, b)))
        y = keras.layers.Add(name=self.name(node.name or node.output[0]))([a.keras, b.keras])
        self.tensors[node.output[0]] = _T(y, a.shape, a.layout)

    def op_flatten(self, i: int, node) -> None:
        if attrs(node).get("axis", 1) != 1:
            self.refuse(
                i, f"ONNX Flatten(axis={attrs(node)['axis']})", "Flatten(axis=1): one vector per sample"
            )
        self.flatten(i, node)

    def flatten(self, i: int, node) -> None:
        import keras

        x = self.tensor(i, node.input[0])
        users = [self.nodes[j] for j in self.consumers.get(node.output[0], [])]
        to_dense = (
            x.layout == "last"
            and node.output[0] not in self.outputs
            and all(u.op_type in ("Gemm", "MatMul") and u.input[0] == node.output[0] for u in users)
        )
        if not to_dense:
            x = self.to_onnx_layout(x, f"{node.name}_to_onnx_layout")
        size = int(np.prod(x.shape))
        y = keras.layers.Flatten(name=self.name(node.name or node.output[0]))(x.keras)
        self.tensors[node.output[0]] = _T(y, (size,), "flat_last" if to_dense else "onnx", x.shape)

    def op_reshape(self, i: int, node) -> None:
        import keras

        x, target = self.tensor(i, node.input[0]), self.const(node.input[1])
        if target is None:
            self.refuse(i, "ONNX Reshape to a computed shape", "Reshape to a constant shape")
        target = [int(v) for v in target]
        dims = [x.shape[k - 1] if v == 0 and 0 < k <= len(x.shape) else v for k, v in enumerate(target)][1:]
        if dims.count(-1) == 1:
            dims[dims.index(-1)] = int(np.prod(x.shape)) // int(np.prod([d for d in dims if d != -1]))
        if int(np.prod(dims)) != int(np.prod(x.shape)):
            self.refuse(
                i, f"ONNX Reshape to {target} (the batch axis changes)", "Reshape keeping axis 0 (batch)"
            )
        if len(dims) == 1:
            return self.flatten(i, node)
        x = self.to_onnx_layout(x, f"{node.name}_to_onnx_layout")
        y = keras.layers.Reshape(tuple(dims), name=self.name(node.name or node.output[0]))(x.keras)
        self.tensors[node.output[0]] = _T(y, tuple(dims))

    def op_maxpool(self, i: int, node) -> None:
        self.pool(i, node, "Max")

    def op_averagepool(self, i: int, node) -> None:
        self.pool(i, node, "Average")

    def pool(self, i: int, node, kind: str) -> None:
        import keras

        a, x = attrs(node), self.tensor(i, node.input[0])
        rank = len(x.shape) - 1
        k = tuple(a.get("kernel_shape", ()))
        strides = tuple(a.get("strides", (1,) * rank))
        simple = not any(a.get("pads", ())) and a.get("auto_pad", b"NOTSET") in (
            b"NOTSET",
            b"VALID",
            "NOTSET",
            "VALID",
        )
        if (
            rank not in (1, 2)
            or not simple
            or a.get("ceil_mode", 0)
            or any(d != 1 for d in a.get("dilations", ()))
        ):
            self.refuse(i, f"ONNX {node.op_type} (not 1D/2D, or with pads/ceil_mode/dilations)", PAD_HINT)
        x = self.to_last(x, f"{node.name}_to_channels_last")
        layer = getattr(keras.layers, f"{kind}Pooling{rank}D")(
            k, strides, name=self.name(node.name or node.output[0])
        )
        spatial = conv_out(x.shape[1:], k, strides, (1,) * rank, "valid")
        self.tensors[node.output[0]] = _T(layer(x.keras), (x.shape[0], *spatial), "last")

    def op_globalaveragepool(self, i: int, node) -> None:
        self.global_average(i, node, keepdims=True)

    def op_reducemean(self, i: int, node) -> None:
        """A mean over every spatial axis of a channels-first tensor: a global average pool."""
        a, x = attrs(node), self.tensor(i, node.input[0])
        axes = self.const(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("axes")
        rank = len(x.shape) + 1
        spatial = set(range(2, rank))
        if axes is None or {int(v) % rank for v in np.ravel(axes)} != spatial or not spatial:
            self.refuse(
                i, f"ONNX ReduceMean over axes {axes}", "a mean over all spatial axes (global pooling)"
            )
        self.global_average(i, node, keepdims=bool(a.get("keepdims", 1)))

    def global_average(self, i: int, node, keepdims: bool) -> None:
        import keras

        x = self.tensor(i, node.input[0])
        rank = len(x.shape) - 1
        if rank not in (1, 2):
            self.refuse(i, f"ONNX {node.op_type} (not 1D/2D)")
        x = self.to_last(x, f"{node.name}_to_channels_last")
        layer = getattr(keras.layers, f"GlobalAveragePooling{rank}D")(
            keepdims=keepdims, name=self.name(node.name or node.output[0])
        )
        shape, layout = ((x.shape[0], *(1,) * rank), "last") if keepdims else ((x.shape[0],), "onnx")
        self.tensors[node.output[0]] = _T(layer(x.keras), shape, layout)

    def op_identity(self, i: int, node) -> None:
        src = node.input[0]
        if src in self.consts:
            self.consts[node.output[0]] = self.consts[src]
        else:
            self.tensors[node.output[0]] = self.tensor(i, src)

    def op_dropout(self, i: int, node) -> None:
        self.op_identity(i, node)

    def op_constant(self, i: int, node) -> None:
        from onnx import numpy_helper

        value = attrs(node).get("value")
        if value is None:
            self.refuse(i, "ONNX Constant without a tensor 'value'")
        self.consts[node.output[0]] = numpy_helper.to_array(value)
