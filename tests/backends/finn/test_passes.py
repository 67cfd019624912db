"""The finn-plus gap-filling passes, on small graphs built here."""

import numpy as np
import pytest
from onnx import TensorProto, helper

pytest.importorskip("finn")

from hwcodesign.backends.finn.settings import finn_session  # noqa: E402


@pytest.fixture(autouse=True)
def _finn(tmp_path):
    with finn_session(tmp_path / "finn_build"):
        yield


def _model(nodes, inputs, outputs, inits=(), value_info=()):
    from qonnx.core.modelwrapper import ModelWrapper

    graph = helper.make_graph(
        nodes, "g", inputs, outputs, initializer=list(inits), value_info=list(value_info)
    )
    return ModelWrapper(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]))


def test_multithreshold_layout_follows_rank():
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.custom_op.registry import getCustomOp

    from hwcodesign.backends.finn.passes import FixMultiThresholdLayout

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 3])
    t = helper.make_tensor("t", TensorProto.FLOAT, [1, 2], [0.0, 1.0])
    node = helper.make_node(
        "MultiThreshold",
        ["x", "t"],
        ["y"],
        domain="qonnx.custom_op.general",
        data_layout="NHWC",
        out_dtype="UINT2",
    )
    model = _model([node], [x], [y], [t])
    model, changed = FixMultiThresholdLayout().apply(model)
    assert changed and getCustomOp(model.graph.node[0]).get_nodeattr("data_layout") == "NWC"
    v = np.array([[[-1, 0.5, 2], [0, 1, 3], [1, 1, 1], [-2, -2, 5]]], np.float32)
    out = execute_onnx(model, {"x": v})["y"]
    np.testing.assert_array_equal(out, (v >= 0).astype(np.float32) + (v >= 1))


def test_split_sizes_become_an_input():
    from hwcodesign.backends.finn.passes import SplitSizesAsInput

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6])
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 4, 2])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4, 4])
    node = helper.make_node("Split", ["x"], ["a", "b"], axis=-1, num_outputs=2)
    model = _model([node], [x], [a, b])
    model, changed = SplitSizesAsInput().apply(model)
    n = model.graph.node[0]
    assert changed and len(n.input) == 2
    assert model.get_initializer(n.input[1]).tolist() == [2, 4]
    assert [at.name for at in n.attribute] == ["axis"]


def test_layernorm_gets_a_zero_bias():
    from hwcodesign.backends.finn.passes import ExplicitLayerNormBias

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8])
    scale = helper.make_tensor("s", TensorProto.FLOAT, [8], np.ones(8).tolist())
    node = helper.make_node("LayerNormalization", ["x", "s"], ["y"], axis=-1, epsilon=1e-5)
    model = _model([node], [x], [y], [scale])
    model, changed = ExplicitLayerNormBias().apply(model)
    n = model.graph.node[0]
    assert changed and len(n.input) == 3
    assert not model.get_initializer(n.input[2]).any()
    assert ExplicitLayerNormBias().apply(model)[1] is False  # idempotent
