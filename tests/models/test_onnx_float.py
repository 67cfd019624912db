"""Float ONNX models (no quantizers), exported here from float PyTorch models with
``torch.onnx.export``: converted to a float Keras model equal to onnxruntime's outputs, routed to
their own family (a QONNX file keeps going to onnx_file), quantized after training and
bit-exact through hls4ml and the RTL; unsupported ops named with their node and index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hwcodesign.errors import ConfigError, UnsupportedLayerError  # noqa: E402


def _export(model, example: np.ndarray, path: Path, dynamo: bool) -> Path:
    """``torch.onnx.export`` as a user would: the TorchScript exporter (keeps BatchNorm nodes) or
    the dynamo one (torch's default; folds BatchNorm, names nodes node_*), batch axis dynamic."""
    model.eval()
    x = torch.from_numpy(example)
    if dynamo:
        kw = {"dynamic_shapes": ({0: torch.export.Dim("n")},), "dynamo": True}
    else:
        kw = {"dynamic_axes": {"x": {0: "n"}}, "dynamo": False}
    torch.onnx.export(model, (x,), str(path), input_names=["x"], output_names=["y"], **kw)
    return path


def _train(model, x: np.ndarray, y: np.ndarray, loss, steps: int = 300):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss(model(xt), yt).backward()
        opt.step()
    return model.eval()


def _nets():
    """(name, float torch model, input shape per sample): an MLP with BatchNorm and softmax, a
    2-channel conv with BatchNorm, max pooling and an output sigmoid, a 1-channel Conv1d with
    average pooling, a 1-channel conv with a global average pool."""
    nn = torch.nn
    torch.manual_seed(3)
    mlp = nn.Sequential(nn.Linear(16, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 5), nn.Softmax(-1))
    conv2d = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(12, 1),
    )
    conv1d = nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.AvgPool1d(2), nn.Flatten(), nn.Linear(16, 3))
    gap = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    return [
        ("mlp", mlp, (16,)),
        ("conv2d", nn.Sequential(conv2d, nn.Sigmoid()), (2, 4, 4)),
        ("conv1d", conv1d, (1, 10)),
        ("global_pool", gap, (1, 6, 6)),
    ]


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_keras_form_equals_onnxruntime_and_torch(tmp_path, dynamo):
    from hwcodesign.families import family_of_file
    from hwcodesign.models.onnx_float.frontend import float_keras_model, onnxruntime_outputs

    rng = np.random.default_rng(5)
    for name, net, shape in _nets():
        x = rng.normal(size=(64, *shape)).astype(np.float32)
        net.train()
        net(torch.from_numpy(x))  # BatchNorm running statistics that are not the identity
        path = _export(net, x[:2], tmp_path / f"{name}.onnx", dynamo)
        assert family_of_file(path).kind == "onnx_float"
        model = float_keras_model(path)
        y_keras = model.predict(x, verbose=0)
        y_onnx = onnxruntime_outputs(path, x)
        y_torch = net(torch.from_numpy(x)).detach().numpy()
        assert y_keras.shape == y_onnx.shape == y_torch.shape
        assert np.max(np.abs(y_keras - y_onnx)) < 1e-5, (name, np.max(np.abs(y_keras - y_onnx)))
        assert np.max(np.abs(y_keras - y_torch)) < 1e-5, name
        layers = [type(layer).__name__ for layer in model.layers]
        assert "BatchNormalization" not in layers, layers  # folded into the Dense/Conv before it
        assert ("Permute" in layers) == (name == "conv2d"), layers  # one channel: a Reshape


def test_a_qonnx_file_stays_with_onnx_file_and_each_kind_names_the_other(tmp_path):
    import brevitas.nn as qnn

    from hwcodesign.backends.qonnx import export_qonnx
    from hwcodesign.config import config_from_dict
    from hwcodesign.families import family_of_file
    from hwcodesign.models.onnx_file.frontend import check as check_qonnx
    from hwcodesign.models.onnx_float.frontend import check as check_float

    x = np.random.default_rng(1).normal(size=(40, 6)).astype(np.float32)
    qnet = torch.nn.Sequential(
        qnn.QuantIdentity(bit_width=4, return_quant_tensor=True), qnn.QuantLinear(6, 3, True)
    )
    export_qonnx(qnet, x[:1], tmp_path / "q.onnx")
    _export(torch.nn.Sequential(torch.nn.Linear(6, 3)), x[:2], tmp_path / "f.onnx", False)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(40) % 3)
    assert family_of_file(tmp_path / "q.onnx").kind == "onnx_file"
    assert family_of_file(tmp_path / "f.onnx").kind == "onnx_float"

    def cfg(kind: str, file: str):
        data = {"dataset": "file", "path": str(tmp_path / "d.npz")}
        return config_from_dict(
            {"name": "k", "model": {"kind": kind, "path": str(tmp_path / file)}, "data": data}
        )

    with pytest.raises(ConfigError, match=r"f\.onnx has no quantizers .*set model\.kind: onnx_float"):
        check_qonnx(cfg("onnx_file", "f.onnx"))
    with pytest.raises(
        ConfigError, match=r"q\.onnx holds quantizers \(.*Quant\).*set model\.kind: onnx_file"
    ):
        check_float(cfg("onnx_float", "q.onnx"))


def test_a_plain_torch_module_is_adopted_as_a_float_onnx_model(tmp_path):
    """``hw.run(module, (x, y))`` with a float PyTorch module: exported, then the PTQ path."""
    import hwcodesign as hw

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    r = hw.run(
        net, data=(x, y), runs_dir=tmp_path, until="train", progress=False, model__ptq__compare_hls4ml=False
    ).run
    assert r.config.model.kind == "onnx_float"
    assert r.record("train").metrics["float_keras_vs_onnx_max_abs"].value < 1e-5


def test_unsupported_op_is_one_line_naming_the_node(tmp_path):
    from hwcodesign.models.onnx_float.frontend import float_keras_model

    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    path = _export(net, np.zeros((2, 4), np.float32), tmp_path / "tanh.onnx", False)
    with pytest.raises(
        UnsupportedLayerError, match=r"layer 1 '/1/Tanh' \(ONNX Tanh\) .*supported: Add, .*Gemm"
    ) as e:
        float_keras_model(path)
    assert "\n" not in str(e.value) and "use ReLU" in str(e.value)


def _binary_data(n: int = 600):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64)
    return x, y


def test_binary_float_onnx_through_ptq_hls4ml_and_rtl(tmp_path):
    """A float torch binary classifier (BatchNorm, sigmoid output) as ONNX: its Keras form equals
    onnxruntime, the float accuracy is onnxruntime's own, the PTQ design is bit-exact through
    hls4ml and the RTL, which outputs the logit (accuracy at logit 0 = probability 0.5)."""
    import hwcodesign as hw
    from hwcodesign.models.onnx_float.frontend import onnxruntime_outputs

    nn = torch.nn
    x, y = _binary_data()
    net = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    _train(net, x, y, lambda p, t: nn.functional.binary_cross_entropy(p[:, 0], t.float()))
    path = _export(net, x[:2], tmp_path / "binary.onnx", False)
    np.savez(tmp_path / "binary.npz", x=x, y=y)
    run = hw.run(path, data=tmp_path / "binary.npz", runs_dir=tmp_path / "runs", until="rtl", progress=False)
    r = run.run
    assert r.config.model.kind == "onnx_float" and r.config.flow == "keras_hls4ml"
    train, rtl = r.record("train").metrics, r.record("rtl").metrics
    assert train["float_keras_vs_onnx_max_abs"].value < 1e-5
    x_test = np.load(r.root / "data" / "dataset.npz")["x_test"]
    out = np.load(r.root / "rtl" / "rtl_outputs.npz")
    p_onnx = onnxruntime_outputs(path, x_test).reshape(-1)  # the source model, run by onnxruntime
    assert train["accuracy_float"].value == pytest.approx(float(((p_onnx >= 0.5) == out["labels"]).mean()))
    acc_rtl = float(((out["rtl"].reshape(-1) >= 0) == out["labels"]).mean())
    assert rtl["accuracy_rtl"].value == acc_rtl and acc_rtl > 0.85
    assert train["ptq_vs_float_argmax"].value >= 0.97
    assert r.record("convert").metrics["bit_exact_fraction"].value == 1.0
    assert rtl["bit_exact_vs_hls4ml"].value == 1.0 and rtl["bit_exact_vs_keras"].value == 1.0
    assert rtl["latency_cycles"].value > 0
    summary = json.loads((r.root / "model" / "metrics.json").read_text())
    assert summary["quantized"]["task"] == {"kind": "binary", "output": "logits", "threshold": 0.0}


@pytest.mark.slow
def test_conv_and_regression_float_onnx_through_the_rtl(tmp_path):
    """A 1-channel Conv2d + MaxPool + softmax classifier (dynamo export) and a regression MLP,
    bit-exact to the RTL; a 2-channel input needs a Permute: hls4ml converts it bit-exactly, the
    rtl step refuses it in one line."""
    import hwcodesign as hw

    nn = torch.nn
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0, :3].mean((1, 2)) > x[:, 0, 3:].mean((1, 2))).astype(np.int64) + 2 * (
        x[:, 0, :, :3].mean((1, 2)) > 0
    )
    conv = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 4))
    _train(conv, x, y, nn.functional.cross_entropy)
    _export(nn.Sequential(conv, nn.Softmax(-1)), x[:2], tmp_path / "conv.onnx", True)
    xr, _ = _binary_data()
    yr = (np.sin(xr[:, 0]) + 0.5 * xr[:, 1] ** 2).astype(np.float32)
    reg = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    _train(reg, xr, yr, lambda p, t: nn.functional.mse_loss(p[:, 0], t))
    _export(reg, xr[:2], tmp_path / "regression.onnx", True)
    np.savez(tmp_path / "conv.npz", x=x, y=y)
    np.savez(tmp_path / "regression.npz", x=xr, y=yr)
    for name in ("conv", "regression"):
        r = hw.run(
            tmp_path / f"{name}.onnx",
            data=tmp_path / f"{name}.npz",
            runs_dir=tmp_path / "runs",
            until="rtl",
            progress=False,
        ).run
        assert r.record("train").metrics["float_keras_vs_onnx_max_abs"].value < 1e-5
        assert r.record("rtl").metrics["bit_exact_vs_hls4ml"].value == 1.0
        assert r.record("rtl").metrics["bit_exact_vs_keras"].value == 1.0
    assert "accuracy_rtl" not in r.record("rtl").metrics  # the regression: residuals, no accuracy

    x2 = rng.normal(size=(300, 2, 4, 4)).astype(np.float32)
    two = nn.Sequential(nn.Conv2d(2, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    _export(two, x2[:2], tmp_path / "two.onnx", True)
    np.savez(tmp_path / "two.npz", x=x2, y=np.arange(300) % 3)
    r = hw.run(
        tmp_path / "two.onnx",
        data=tmp_path / "two.npz",
        runs_dir=tmp_path / "runs",
        until="convert",
        progress=False,
    ).run
    assert r.record("convert").metrics["bit_exact_fraction"].value == 1.0
    with pytest.raises(
        UnsupportedLayerError, match=r"\(keras\.src\.layers\.reshaping\.permute\.Permute\) .*rtl step"
    ):
        hw.run(
            tmp_path / "two.onnx",
            data=tmp_path / "two.npz",
            runs_dir=tmp_path / "runs",
            until="rtl",
            progress=False,
        )
