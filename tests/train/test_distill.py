"""Distillation (both trainers), Teacher Intervention and the teacher cache (train/distill.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hwcodesign.config import BrevitasQuantConfig, DistillConfig, TrainConfig
from hwcodesign.data.splits import SplitDataset
from hwcodesign.models.mlp.builder import build_mlp
from hwcodesign.models.mlp.config import MLPConfig
from hwcodesign.models.vit.builder import build_vit
from hwcodesign.models.vit.config import ViTConfig
from hwcodesign.train import torch_qat
from hwcodesign.train.distill import Intervention, TeacherLogits, attention_modules, kd_loss_torch
from hwcodesign.train.torch_qat import TorchTeacher, fit_torch, predict_torch

Q = BrevitasQuantConfig(framework="brevitas", weight_bits=4, act_bits=4)


def _data(rng: np.random.Generator, shape: tuple[int, ...], n: int = 192) -> SplitDataset:
    def split(k: int):
        x = rng.normal(size=(k, *shape)).astype(np.float32)
        return x, (x.reshape(k, -1)[:, :3].argmax(1)).astype(np.int64)  # 3 classes from the inputs

    (xt, yt), (xv, yv), (xs, ys) = split(n), split(48), split(48)
    return SplitDataset(xt, yt, xv, yv, xs, ys, meta={"classes": ["a", "b", "c"]})


def _kl(teacher: np.ndarray, student: np.ndarray) -> float:
    def log_softmax(z):
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))

    lt, ls = log_softmax(teacher), log_softmax(student)
    return float(np.mean(np.sum(np.exp(lt) * (lt - ls), axis=1)))


def _soft_teacher(ds: SplitDataset) -> TeacherLogits:
    """A teacher that agrees with the labels but keeps a soft second choice, (label + 1) % 3."""

    def logits(y):
        return 2.0 * np.eye(3)[y] + 1.0 * np.roll(np.eye(3)[y], 1, axis=1)

    return TeacherLogits(logits(ds.y_train), logits(ds.y_val), logits(ds.y_test))


def test_kd_loss_is_the_formula(rng):
    s, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    y = np.array([0, 1, 2, 1, 0])
    got = kd_loss_torch(torch.tensor(s), torch.tensor(y), torch.tensor(t), temperature=2.0, weight=0.3)
    ce = float(torch.nn.functional.cross_entropy(torch.tensor(s), torch.tensor(y)))
    assert float(got) == pytest.approx(0.7 * ce + 0.3 * 4 * _kl(t / 2, s / 2), rel=1e-9)


def test_distillation_moves_the_student_toward_the_teacher(rng):
    """Same seed, same data: the distilled student's logits are closer (KL) to the teacher's."""
    ds = _data(rng, (6,))
    teacher = _soft_teacher(ds)
    base = TrainConfig(epochs=30, batch_size=32, learning_rate=1e-2, seed=3, patience=30)
    kd = base.model_copy(update={"distill": DistillConfig(weight=0.9, temperature=2.0)})
    out = {}
    for name, cfg, t in (("plain", base, None), ("distilled", kd, TorchTeacher(teacher))):
        torch.manual_seed(0)
        model = build_mlp(6, 3, MLPConfig(kind="mlp", hidden=(16,)), None)
        fit_torch(model, ds, cfg, teacher=t)
        out[name] = _kl(teacher.test, predict_torch(model, ds.x_test))
    assert out["distilled"] < 0.5 * out["plain"], out


def _tiny_vit(quant):
    torch.manual_seed(0)
    cfg = ViTConfig(kind="vit", patch_size=4, embed_dim=8, num_heads=2, mlp_dim=16)
    return build_vit((1, 8, 8), 3, cfg, quant)


def test_teacher_intervention_replaces_the_attention_outputs():
    student, teacher = _tiny_vit(Q), _tiny_vit(None)
    x = torch.rand(4, 1, 8, 8)
    student(x)  # let the quantizers see data once
    student.eval()
    (name,) = attention_modules(student)
    t_attn = {}
    h = teacher.get_submodule(name).register_forward_hook(lambda m, i, o: t_attn.setdefault("o", o.detach()))
    teacher(x)
    h.remove()
    own = student.get_submodule(name)(
        student.blocks[0].norm1_quant(student.blocks[0].norm1(_tokens(student, x)))
    )
    logits, mse = Intervention(student, teacher)(student, x)
    # the same student with its attention module answering the teacher's output
    h = student.get_submodule(name).register_forward_hook(lambda m, i, o: t_attn["o"])
    expected = student(x)
    h.remove()
    assert torch.equal(logits, expected)
    assert float(mse.detach()) == pytest.approx(float(torch.mean((own - t_attn["o"]) ** 2)), rel=1e-5)
    assert not torch.equal(student(x), expected)  # the hooks are gone after the call


def _tokens(model, x):
    """The ViT's tokens as its first block sees them (patch embedding + positions)."""
    y = model.patch(model.inp(x))
    y = y.permute(0, 2, 3, 1).reshape(y.shape[0], model.n_tokens, model.d)
    return model.embed_quant(model.patch_quant(y) + model.pos_quant(model.pos))


def test_fit_torch_intervenes_only_in_the_first_epochs(rng, monkeypatch):
    ds = _data(rng, (1, 8, 8), n=64)
    calls: list[int] = []

    class Spy(Intervention):
        def __call__(self, student, xb):
            calls.append(1)
            return super().__call__(student, xb)

    monkeypatch.setattr(torch_qat, "Intervention", Spy)
    teacher = _tiny_vit(None)
    logits = TeacherLogits(*(predict_torch(teacher, x) for x in (ds.x_train, ds.x_val, ds.x_test)))
    cfg = TrainConfig(
        epochs=3, batch_size=32, patience=5, distill=DistillConfig(intervention_epochs=2, weight=0.5)
    )
    hist = fit_torch(_tiny_vit(Q), ds, cfg, teacher=TorchTeacher(logits, teacher))
    assert hist["intervention"] == [1.0, 1.0, 0.0]
    assert len(calls) == 2 * 2  # two batches per epoch, two epochs


def test_intervention_needs_the_same_attention_modules():
    mlp = build_mlp(64, 3, MLPConfig(kind="mlp", hidden=(8,)), None)
    with pytest.raises(ValueError, match="same attention modules"):
        Intervention(_tiny_vit(Q), mlp)


def test_keras_distillation_moves_the_student_toward_the_teacher(rng):
    from hwcodesign.frameworks import import_keras
    from hwcodesign.train.keras_qat import fit_keras

    keras = import_keras()
    ds = _data(rng, (6,))
    teacher = _soft_teacher(ds)
    base = TrainConfig(epochs=30, batch_size=32, learning_rate=1e-2, seed=3, patience=30)
    kd = base.model_copy(update={"distill": DistillConfig(weight=0.9, temperature=2.0)})
    out = {}
    for name, cfg in (("plain", base), ("distilled", kd)):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, "relu"), keras.layers.Dense(3)])
        hist = fit_keras(model, ds, cfg, teacher=teacher)
        assert "val_accuracy" in hist
        out[name] = _kl(teacher.test, model.predict(ds.x_test, verbose=0))
    assert out["distilled"] < 0.5 * out["plain"], out
