"""Shared by the test_ops_* tests: one-node finn-plus graphs of hwcodesign's RTL layers, taken
through SpecializeLayers and PrepareIP, then simulated in Verilator against their Python
semantics (``rtlsim.simulate_layer``). No tests here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper

FPGA_PART = "xczu7ev-ffvc1156-2-e"  # ZCU104, not Versal
CLOCK_NS = 5.0


def hw_node(op_type: str, inputs: list[str], outputs: list[str], **attrs):
    """A node in finn-plus' HW domain (before SpecializeLayers)."""
    return helper.make_node(
        op_type,
        inputs,
        outputs,
        domain="finn.custom_op.fpgadataflow",
        backend="fpgadataflow",
        name=f"{op_type}_0",
        **attrs,
    )


def one_node_model(node, tensors: dict[str, tuple[tuple[int, ...], str]], inits: dict[str, np.ndarray] = {}):  # noqa: B006
    """ModelWrapper of ``node``; ``tensors`` maps every input/output name to (shape, FINN type);
    names in ``inits`` are initializers (graph inputs otherwise)."""
    from qonnx.core.datatype import DataType
    from qonnx.core.modelwrapper import ModelWrapper

    def info(name):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(tensors[name][0]))

    ins = [info(t) for t in node.input if t not in inits]
    outs = [info(t) for t in node.output]
    graph = helper.make_graph([node], "layer", ins, outs)
    model = ModelWrapper(
        helper.make_model(
            graph,
            opset_imports=[
                helper.make_opsetid("", 17),
                helper.make_opsetid("finn.custom_op.fpgadataflow", 1),
                helper.make_opsetid("finn.custom_op.fpgadataflow.rtl", 1),
            ],
        )
    )
    for name, value in inits.items():
        model.set_initializer(name, np.asarray(value, dtype=np.float32))
    for name, (_, dt) in tensors.items():
        model.set_tensor_datatype(name, DataType[dt])
    return model


def random_ints(rng: np.random.Generator, dt: str, shape) -> np.ndarray:
    """Uniform integers of FINN type ``dt`` with both extremes planted, as float32."""
    from qonnx.core.datatype import DataType

    t = DataType[dt]
    x = rng.integers(int(t.min()), int(t.max()) + 1, size=shape)
    flat = x.reshape(-1)
    flat[:2] = [t.min(), t.max()]
    return x.astype(np.float32)


def specialize_and_generate(model):
    """SpecializeLayers (must give the ``_rtl`` variant), then PrepareIP (writes the wrapper).
    Returns (model, the specialised node)."""
    from finn.transformation.fpgadataflow.prepare_ip import PrepareIP
    from finn.transformation.fpgadataflow.specialize_layers import SpecializeLayers

    hw_type = model.graph.node[0].op_type
    model = model.transform(SpecializeLayers(FPGA_PART))
    node = model.graph.node[0]
    assert node.op_type == f"{hw_type}_rtl" and node.domain == "finn.custom_op.fpgadataflow.rtl", (
        f"SpecializeLayers gave {node.domain}.{node.op_type}"
    )
    model = model.transform(PrepareIP(FPGA_PART, CLOCK_NS))
    node = model.graph.node[0]
    from qonnx.custom_op.registry import getCustomOp

    gen = Path(getCustomOp(node).get_nodeattr("code_gen_dir_ipgen"))
    wrapper = gen / f"{node.name}.v"
    assert wrapper.is_file(), f"PrepareIP wrote no wrapper {wrapper}"
    assert f"module {node.name} (" in wrapper.read_text()
    return model, node


def simulate(
    model, node, frames: list[dict[str, np.ndarray]], workdir: Path, ready_percent: int = 100
) -> dict:
    """Reference contexts (Python semantics) of ``frames``, then the layer in Verilator."""
    from hwcodesign.backends.finn.rtlsim import run_graph, simulate_layer

    contexts = [run_graph(model, f) for f in frames]
    return simulate_layer(model, node, contexts, workdir, ready_percent=ready_percent)


def assert_bit_exact(row: dict, n_frames: int) -> None:
    assert row["status"] == "bit-exact", row
    assert row["frames_exact"] == n_frames, row


def assert_cycles(row: dict, expected: int) -> None:
    """Measured steady-state cycles per frame equal get_exp_cycles()."""
    assert row["cycles_per_frame"] == expected, (
        f"measured {row['cycles_per_frame']} cycles/frame, get_exp_cycles() says {expected}: {row}"
    )
