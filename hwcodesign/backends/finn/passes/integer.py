"""Passes that turn an integer-only ViT's streamlined graph into hwcodesign's RTL layers.

After streamlining, a model built with the integer kernels (``model.softmax/norm/adds/
mlp_activation``, see models/vit) holds: the kernels' custom nodes
(``hwcodesign.kernels.onnx_ops``: Shiftmax, ILayerNorm, ShiftGELU) on integer tensors;
activation x activation ``MatMul`` nodes (attention); and ``Add`` nodes of two quantized
tensors (residuals, the position embedding), with power-of-two scale ``Mul`` nodes left in
front where the two scales differ. Each pass here replaces one of these by a finn-plus HW
layer of ``backends/finn/ops`` (``apply(model) -> (model, changed)``, as qonnx passes do).
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from ....errors import KernelParameterError, UnsupportedLayerError

__all__ = [
    "InferIntegerKernels",
    "InferActMatMul",
    "InferIntegerAdd",
    "RoundThresholdTiesToEven",
    "has_po2_scales",
    "has_integer_kernels",
]

HW = "finn.custom_op.fpgadataflow"
KERNELS = "hwcodesign.kernels.onnx_ops"


def _dt(model: ModelWrapper, tensor: str) -> DataType:
    return model.get_tensor_datatype(tensor)


def _vectors_and_channels(model: ModelWrapper, tensor: str) -> tuple[list[int], int]:
    shape = list(model.get_tensor_shape(tensor))
    return shape[:-1] or [1], shape[-1]


def _require_integer(model: ModelWrapper, node, tensor: str) -> None:
    """The tensor must be integer: a float one means a scale was left in front (not a power of
    two, or not the one the kernel was trained with)."""
    dt = _dt(model, tensor)
    if not dt.is_integer():
        producer = model.find_producer(tensor)
        what = f"{producer.op_type} {producer.name}" if producer is not None else "the graph input"
        raise UnsupportedLayerError(
            node.name,
            f"{node.domain}.{node.op_type}",
            list(model.graph.node).index(node),
            "hwcodesign's integer RTL layers",
            ["integer inputs (power-of-two quantizer scales)"],
            f"its input comes from {what} as {dt.name}: the quantizer before it needs a power-of-two "
            "scale (quantization.scaling: po2)",
        )


class InferIntegerKernels(Transformation):
    """The kernels' custom nodes -> IntShiftmax / IntLayerNorm / IntGELU HW layers (same semantics)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in list(model.graph.node):
            if node.domain != KERNELS:
                continue
            _require_integer(model, node, node.input[0])
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            make = {"Shiftmax": _shiftmax, "ILayerNorm": _layernorm, "ShiftGELU": _gelu}.get(node.op_type)
            if make is None:
                raise UnsupportedLayerError(
                    node.name,
                    f"{KERNELS}.{node.op_type}",
                    list(model.graph.node).index(node),
                    "hwcodesign's integer RTL layers",
                    ["Shiftmax", "ILayerNorm", "ShiftGELU"],
                    "a log2-quantized softmax has no RTL A.V-with-shifts layer yet: use "
                    "model.softmax: shiftmax",
                )
            new = make(model, node, attrs)
            idx = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            model.graph.node.insert(idx, new)
            changed = True
        return model, changed


def _common(model: ModelWrapper, node, op: str, **attrs):
    vectors, channels = _vectors_and_channels(model, node.input[0])
    return helper.make_node(
        op,
        list(node.input),
        list(node.output),
        domain=HW,
        backend="fpgadataflow",
        name=node.name,
        NumChannels=channels,
        PE=1,
        numInputVectors=vectors,
        inputDataType=_dt(model, node.input[0]).name,
        outputDataType=_dt(model, node.output[0]).name,
        **attrs,
    )


def _shiftmax(model: ModelWrapper, node, a: dict):
    if a.get("in_shift", 0):
        raise KernelParameterError(
            "shiftmax", "in_shift", f"{node.name}: scores with a scale above 1 have no RTL"
        )
    return _common(model, node, "IntShiftmax", in_frac_bits=a["FI"], extra_bits=a.get("EB", 4))


def _gelu(model: ModelWrapper, node, a: dict):
    if a.get("in_shift", 0):
        raise KernelParameterError(
            "gelu", "in_shift", f"{node.name}: inputs with a scale above 1 have no RTL"
        )
    return _common(
        model,
        node,
        "IntGELU",
        in_frac_bits=a["FI"],
        out_frac_bits=a["FO"],
        extra_bits=a.get("EB", 4),
        sigmoid_bits=a.get("SB", 8),
    )


def _layernorm(model: ModelWrapper, node, a: dict):
    inputs = [node.input[0]]
    affine = bool(a.get("gamma"))
    if affine:
        for which, bits in (("gamma", a.get("WG", 8)), ("beta", a.get("WB", 8))):
            name = model.make_new_valueinfo_name()
            model.set_initializer(name, np.asarray(a[which], dtype=np.float32))
            model.set_tensor_datatype(name, DataType[f"INT{bits}"])
            inputs.append(name)
    new = _common(
        model,
        node,
        "IntLayerNorm",
        out_frac_bits=a["FO"],
        guard_bits=a.get("G", 4),
        recip_bits=a["K"],
        affine=int(affine),
        gamma_frac_bits=a.get("FG", 6),
    )
    del new.input[:]
    new.input.extend(inputs)
    return new


class InferActMatMul(Transformation):
    """``MatMul`` of two activations (Q.K^T with the K transpose absorbed, A.V) -> ActMatMul."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in list(model.graph.node):
            if node.op_type != "MatMul" or any(model.get_initializer(i) is not None for i in node.input):
                continue
            a, b = node.input
            for t in (a, b):
                _require_integer(model, node, t)
            transpose_b, b_src = 0, b
            producer = model.find_producer(b)
            if producer is not None and producer.op_type == "Transpose" and len(model.find_consumers(b)) == 1:
                perm = list(helper.get_attribute_value(producer.attribute[0])) if producer.attribute else None
                if perm is None or perm[-2:] == [len(perm) - 1, len(perm) - 2]:
                    transpose_b, b_src = 1, producer.input[0]
                    model.graph.node.remove(producer)
            a_shape, b_shape = model.get_tensor_shape(a), model.get_tensor_shape(b_src)
            m, d = a_shape[-2], a_shape[-1]
            n = b_shape[-2] if transpose_b else b_shape[-1]
            from hwcodesign.hls.stream_matmul.reference import output_width

            wa, wb = _dt(model, a).bitwidth(), _dt(model, b_src).bitwidth()
            width = output_width(wa, wb, d)
            new = helper.make_node(
                "ActMatMul",
                [a, b_src],
                list(node.output),
                domain=HW,
                backend="fpgadataflow",
                name=node.name,
                M=m,
                D=d,
                N=n,
                PE=1,
                transpose_b=transpose_b,
                numInputVectors=list(a_shape[:-2]) or [1],
                ADataType=_dt(model, a).name,
                BDataType=_dt(model, b_src).name,
                outputDataType=f"INT{width}",
            )
            idx = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            model.graph.node.insert(idx, new)
            model.set_tensor_datatype(node.output[0], DataType[f"INT{width}"])
            changed = True
        return model, changed


def _scaled(model: ModelWrapper, tensor: str) -> tuple[str, float] | None:
    """(integer tensor, scale) when ``tensor`` is an integer tensor or a scalar ``Mul`` of one."""
    if _dt(model, tensor).is_integer():
        return tensor, 1.0
    producer = model.find_producer(tensor)
    if producer is None or producer.op_type != "Mul":
        return None
    src, factor = producer.input
    scale = model.get_initializer(factor)
    if scale is None or np.asarray(scale).size != 1 or not _dt(model, src).is_integer():
        return None
    return src, float(np.asarray(scale).reshape(-1)[0])


def _po2(scale: float) -> bool:
    return scale > 0 and abs(math.log2(scale) - round(math.log2(scale))) < 1e-12


class InferIntegerAdd(Transformation):
    """``Add`` of two quantized tensors (residual: two streams; position embedding: a stream and a
    constant on a power-of-two grid) -> IntAdd with integer multipliers, then one ``Mul`` by the
    finer scale (absorbed into the next thresholds by ``AbsorbMulIntoMultiThreshold``)."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        changed = False
        for node in list(model.graph.node):
            if node.op_type != "Add":
                continue
            operands = [self._operand(model, t) for t in node.input]
            if any(o is None for o in operands):
                continue
            (a, sa, a_const), (b, sb, b_const) = operands
            if a_const and b_const:
                continue
            if a_const:  # the constant goes to the rhs
                (a, sa, a_const), (b, sb, b_const) = (b, sb, b_const), (a, sa, a_const)
            fine = min(sa, sb)
            ma, mb = round(sa / fine), round(sb / fine)
            scales = [model.find_producer(t) for t in node.input]
            self._replace(model, node, a, b, b_const, ma, mb, fine)
            for mul in scales:  # the scale Muls in front, now unused
                if mul is not None and mul.op_type == "Mul" and not model.find_consumers(mul.output[0]):
                    model.graph.node.remove(mul)
            changed = True
        return model, changed

    @staticmethod
    def _operand(model: ModelWrapper, tensor: str) -> tuple[str, float, bool] | None:
        const = model.get_initializer(tensor)
        if const is not None:
            values = np.asarray(const, dtype=np.float64)
            for shift in range(0, 25):  # the finest power-of-two grid holding every value
                if np.array_equal(np.round(values * 2.0**shift), values * 2.0**shift):
                    ints = np.round(values * 2.0**shift)
                    name = model.make_new_valueinfo_name()
                    model.set_initializer(name, ints.astype(np.float32))
                    bits = max(int(np.abs(ints).max()).bit_length() + 1, 2)
                    model.set_tensor_datatype(name, DataType[f"INT{bits}"])
                    return name, 2.0**-shift, True
            return None
        found = _scaled(model, tensor)
        if found is None or not _po2(found[1]):
            return None
        return found[0], found[1], False

    @staticmethod
    def _replace(model, node, a: str, b: str, b_const: bool, ma: int, mb: int, fine: float) -> None:
        da, db = _dt(model, a), _dt(model, b)
        lo, hi = da.min() * ma + db.min() * mb, da.max() * ma + db.max() * mb
        wo = max(int(max(-lo, hi + 1) - 1).bit_length() + 1, 2)  # the exact sum, signed
        vectors, channels = _vectors_and_channels(model, node.output[0])
        summed = model.make_new_valueinfo_name()
        attrs = dict(
            domain=HW,
            backend="fpgadataflow",
            name=node.name,
            NumChannels=channels,
            PE=1,
            numInputVectors=vectors,
            lhsDataType=_dt(model, a).name,
            rhsDataType=_dt(model, b).name,
            outputDataType=f"INT{wo}",
            MA=ma,
            MB=mb,
            shift=0,
            rhs_style="const" if b_const else "input",
        )
        if b_const:
            attrs["rhs_shape"] = list(np.asarray(model.get_initializer(b)).shape)
        add = helper.make_node("IntAdd", [a, b], [summed], **attrs)
        model.set_tensor_shape(summed, model.get_tensor_shape(node.output[0]))
        model.set_tensor_datatype(summed, DataType[f"INT{wo}"])
        nodes = [add]
        if fine != 1.0:
            factor = model.make_new_valueinfo_name()
            model.set_initializer(factor, np.asarray(fine, dtype=np.float32))
            nodes.append(
                helper.make_node("Mul", [summed, factor], [node.output[0]], name=f"{node.name}_scale")
            )
        else:
            add.output[0] = node.output[0]
        idx = list(model.graph.node).index(node)
        model.graph.node.remove(node)
        for k, n in enumerate(nodes):
            model.graph.node.insert(idx + k, n)


class RoundThresholdTiesToEven(Transformation):
    """Thresholds that reproduce round-half-to-even (Brevitas, QONNX) on integer inputs.

    ``MultiThreshold`` counts ``x >= T``: an input exactly at a half step goes to the level above
    (round half up), while Brevitas rounds half to even. A tie can only happen where ``T`` is an
    exact integer; when the level above it is odd, the tie must stay below: ``x > T``, i.e. the
    threshold ``T + 1/2`` for integer ``x`` (``RoundAndClipThresholds`` then makes it ``T + 1``).
    Run before ``RoundAndClipThresholds`` (whose ceil forgets which thresholds were exact); exact
    only with power-of-two scales, where ties occur and thresholds are computed exactly. A node is
    handled once (marked ``ROUNDED_MARK``): its rounded thresholds are integers, no longer ties.
    """

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        from qonnx.custom_op.registry import getCustomOp
        from qonnx.util.basic import get_by_name

        for node in model.graph.node:
            if node.op_type != "MultiThreshold" or not _dt(model, node.input[0]).is_integer():
                continue
            t = model.get_initializer(node.input[1])
            if t is None or get_by_name(node.attribute, ROUNDED_MARK) is not None:
                continue
            bias = getCustomOp(node).get_nodeattr("out_bias")
            levels = bias + np.arange(1, t.shape[-1] + 1)  # the level reached by crossing threshold k
            nudge = (t == np.round(t)) & (np.abs(levels).astype(np.int64) % 2 == 1)
            # a nudged threshold may pass an equal neighbour: keep them sorted (finn's Thresholding)
            nudged = np.maximum.accumulate(t + 0.5 * nudge, axis=-1)
            model.set_initializer(node.input[1], nudged.astype(t.dtype))
            node.attribute.append(helper.make_attribute(ROUNDED_MARK, 1))
        return model, False


ROUNDED_MARK = "hwcd_ties_to_even"


def has_po2_scales(model: ModelWrapper) -> bool:
    """Whether every activation ``Quant`` of a QONNX model has a power-of-two scale (its thresholds
    can then be made to round half to even exactly)."""
    scales = [model.get_initializer(n.input[1]) for n in model.graph.node if n.op_type == "Quant"]
    values = [float(v) for s in scales if s is not None for v in np.asarray(s).reshape(-1)]
    return bool(values) and all(_po2(abs(v)) for v in values)


def has_integer_kernels(model: ModelWrapper) -> bool:
    """Whether the model holds hwcodesign's kernel nodes (an integer-only model)."""
    return any(n.domain == KERNELS for n in model.graph.node)
