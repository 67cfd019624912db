"""Prints the rows of the model-kinds table (docs/findings.md) for float ONNX models and QKeras
for Keras 3 models, built here as the tests build them (torch.onnx.export of trained float
PyTorch models; qkeras-v3 models saved by tests/models/qkeras3_models.py in .venv-legacy):

    .venv/bin/python tests/models/kinds_table.py OUT_DIR

Each model runs to the rtl step (QKeras with ``rounding: qkeras`` to convert: no RTL path).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def _train(torch, model, x, y, loss):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(300):
        opt.zero_grad()
        loss(model(xt), yt).backward()
        opt.step()
    return model.eval()


def _export(torch, model, x, path: Path, dynamo: bool) -> None:
    kw = {"dynamic_shapes": ({0: torch.export.Dim("n")},)} if dynamo else {"dynamic_axes": {"x": {0: "n"}}}
    torch.onnx.export(model, (torch.from_numpy(x[:2]),), str(path), input_names=["x"], dynamo=dynamo, **kw)


def _row(label: str, r, agreement: str) -> None:
    t, c, rt = (r.record(s) for s in ("train", "convert", "rtl"))
    hls = c.metrics["bit_exact_fraction"].value
    rtl = rt.metrics["bit_exact_vs_hls4ml"].value if rt else "-"
    cycles = rt.metrics["latency_cycles"].value if rt else "-"
    acc = {k: round(v.value, 4) for k, v in t.metrics.items() if k.startswith("accuracy")}
    if rt and "accuracy_rtl" in rt.metrics:
        acc["rtl"] = round(rt.metrics["accuracy_rtl"].value, 4)
    print(f"| {label} | {agreement} | {hls} | {rtl} | {cycles} | {acc} |", flush=True)


def float_onnx_rows(out: Path) -> None:
    """A binary classifier (TorchScript exporter, BatchNorm node), a regression and a 1-channel conv
    classifier (dynamo exporter)."""
    import torch

    import hwcodesign as hw

    nn, rng = torch.nn, np.random.default_rng(7)
    x = rng.normal(size=(600, 6)).astype(np.float32)
    yb = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64)
    net = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    _export(
        torch,
        _train(torch, net, x, yb, lambda p, t: nn.functional.binary_cross_entropy(p[:, 0], t.float())),
        x,
        out / "binary.onnx",
        False,
    )
    np.savez(out / "binary.npz", x=x, y=yb)
    yr = (np.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2).astype(np.float32)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    _export(
        torch,
        _train(torch, net, x, yr, lambda p, t: nn.functional.mse_loss(p[:, 0], t)),
        x,
        out / "regression.onnx",
        True,
    )
    np.savez(out / "regression.npz", x=x, y=yr)
    xc = rng.normal(size=(600, 1, 6, 6)).astype(np.float32)
    yc = (xc[:, 0, :3].mean((1, 2)) > xc[:, 0, 3:].mean((1, 2))).astype(np.int64)
    yc += 2 * (xc[:, 0, :, :3].mean((1, 2)) > 0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 4))
    net = _train(torch, net, xc, yc, nn.functional.cross_entropy)
    _export(torch, nn.Sequential(net, nn.Softmax(-1)), xc, out / "conv.onnx", True)
    np.savez(out / "conv.npz", x=xc, y=yc)
    for name in ("binary", "regression", "conv"):
        r = hw.run(
            out / f"{name}.onnx", data=out / f"{name}.npz", runs_dir=out / "runs", until="rtl", progress=False
        ).run
        m = r.record("train").metrics
        same = m["ptq_vs_float_argmax"].value if "ptq_vs_float_argmax" in m else "-"
        diff = m["float_keras_vs_onnx_max_abs"]
        _row(
            f"float ONNX {name} ({r.config.model.kind})",
            r,
            f"Keras vs onnxruntime max diff {diff.value:.1e}; PTQ same class {same} (n={diff.n})",
        )


def qkeras3_rows(out: Path) -> None:
    import hwcodesign as hw

    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 8)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 0.5)
    np.savez(out / "data.npz", x=x, y=y)
    legacy = REPO / ".venv-legacy" / "bin" / "python"
    script = REPO / "tests" / "models" / "qkeras3_models.py"
    res = subprocess.run(
        [legacy, "-I", script, out / "data.npz", out], capture_output=True, text=True, cwd=out
    )
    if res.returncode != 0:
        raise SystemExit(res.stderr[-2000:])
    for name in ("qkeras3_mlp", "qkeras3_bn"):
        for rounding, until in (("qkeras", "convert"), ("rnd", "rtl")):
            r = hw.run(
                out / f"{name}.keras",
                data=out / "data.npz",
                runs_dir=out / "runs",
                name=f"{name}_{rounding}",
                until=until,
                progress=False,
                model__rounding=rounding,
            ).run
            m = r.record("train").metrics["bit_exact_hgq_vs_qkeras"]
            _row(
                f"{name} ({r.config.model.kind}, rounding {rounding})",
                r,
                f"identical to qkeras-v3: {m.value:.4f} (n={m.n})",
            )


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    print(
        "| model | vs the source framework | hls4ml vs HGQ2 | RTL vs hls4ml | latency (cycles) | accuracy |"
    )
    float_onnx_rows(folder)
    qkeras3_rows(folder)
