"""Distillation, Teacher Intervention and mixed precision refused before training, in one line,
when the settings cannot work; and the teacher cache shared by student seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from hwcodesign.config import config_from_dict, load_config
from hwcodesign.errors import ConfigError
from hwcodesign.flows import run_flow

REPO = Path(__file__).resolve().parents[2]


def _raw(name: str, tmp_path: Path) -> dict:
    raw = yaml.safe_load((REPO / "configs" / name).read_text())
    raw |= {"runs_dir": str(tmp_path / "runs"), "cache_dir": str(tmp_path / "cache")}
    return raw


def _refused(raw: dict, match: str) -> str:
    with pytest.raises(ConfigError, match=match) as e:
        run_flow(
            config_from_dict(raw), until="train_torch" if raw["model"]["kind"] in ("mlp", "vit") else "train"
        )
    assert "\n" not in str(e.value)
    return str(e.value)


def test_a_budget_below_every_allocation_is_refused_with_the_minimum(tmp_path):
    raw = _raw("vit_digits_tiny.yaml", tmp_path)
    raw["quantization"]["mixed_precision"] = {"budget_bops": 1000}
    msg = _refused(raw, "below the minimum of")
    assert "at 2 weight bits" in msg
    assert not (tmp_path / "runs").exists()  # nothing was created


def test_mixed_precision_needs_the_float_twin_and_a_brevitas_family(tmp_path):
    raw = _raw("vit_digits_tiny.yaml", tmp_path)
    raw["quantization"]["mixed_precision"] = {}
    raw["train"]["train_float"] = False
    _refused(raw, "train.train_float: true")
    jets = _raw("jet_tagger_tiny.yaml", tmp_path)
    jets["train"]["distill"] = {"intervention_epochs": 2}
    _refused(jets, "Teacher Intervention is not available for model.kind jet_transformer")


def test_teacher_intervention_needs_attention(tmp_path):
    raw = _raw("mlp_digits.yaml", tmp_path)
    raw["train"]["distill"] = {"intervention_epochs": 1}
    _refused(raw, "model.kind mlp has no attention modules")


def test_a_float_reference_teacher_is_for_the_jet_families(tmp_path):
    raw = _raw("vit_digits_tiny.yaml", tmp_path)
    raw["train"]["distill"] = {"teacher": "float_reference"}
    _refused(raw, "has no wide float reference")


def test_a_teacher_file_of_other_shape_is_refused(tmp_path):
    from hwcodesign.models.mlp.builder import build_mlp
    from hwcodesign.models.mlp.config import MLPConfig

    raw = _raw("mlp_digits.yaml", tmp_path)
    other = tmp_path / "other.pt"
    torch.save(
        build_mlp(64, 3, MLPConfig(kind="mlp", hidden=tuple(raw["model"]["hidden"])), None).state_dict(),
        other,
    )
    raw["train"]["distill"] = {"teacher": "file", "path": str(other)}
    _refused(raw, "not a state dict of this run's float twin")
    scripted = tmp_path / "scripted.pt"
    torch.jit.save(
        torch.jit.script(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))), scripted
    )
    raw["train"]["distill"]["path"] = str(scripted)
    _refused(raw, r"outputs of shape \(3,\) for inputs \(1, 8, 8\), the data have 10 classes")


def test_a_keras_teacher_of_other_input_shape_is_refused(tmp_path):
    from hwcodesign.frameworks import import_keras

    keras = import_keras()
    path = tmp_path / "teacher.keras"
    keras.Sequential([keras.Input((4, 4)), keras.layers.Flatten(), keras.layers.Dense(5)]).save(path)
    raw = _raw("jet_tagger_tiny.yaml", tmp_path)
    raw["train"]["distill"] = {"teacher": "file", "path": str(path)}
    _refused(raw, r"takes inputs of shape \(4, 4\), the data give \(8, 4\)")


def test_distillation_is_refused_for_a_family_not_trained_here(tmp_path):
    raw = _raw("jet_tagger_tiny.yaml", tmp_path)
    raw["model"] = {"kind": "onnx_file", "path": str(tmp_path / "m.onnx")}
    raw["train"]["distill"] = {}
    with pytest.raises(ConfigError, match="model.kind onnx_file is not trained by hwcodesign's trainers"):
        config_from_dict(raw)


def test_init_from_float_is_refused_without_a_float_twin_or_for_other_families(tmp_path):
    raw = _raw("jet_tagger_tiny.yaml", tmp_path)
    raw["train"] |= {"init_from_float": True, "train_float": False}
    with pytest.raises(
        ConfigError, match="init_from_float starts from the trained float twin: set train_float"
    ):
        config_from_dict(raw)
    raw = _raw("mlp_digits.yaml", tmp_path)
    raw["train"]["init_from_float"] = True
    with pytest.raises(
        ConfigError, match="train.init_from_float: model.kind mlp is not trained from its float"
    ):
        config_from_dict(raw)


def test_runs_without_the_methods_keep_their_config(tmp_path):
    cfg = load_config(REPO / "configs" / "vit_digits_tiny.yaml")
    dumped = yaml.safe_load(cfg.to_yaml())
    assert "distill" not in dumped["train"] and "mixed_precision" not in dumped["quantization"]
    assert "attention" not in dumped["model"] and "init_from_float" not in dumped["train"]
    # the jet_linear options added later are left out at their defaults, and written when used
    linear = yaml.safe_load(load_config(REPO / "configs" / "jet_linear_physics.yaml").to_yaml())["model"]
    assert not {"num_exchanges", "aggregate", "pooling"} & set(linear)
    linear = yaml.safe_load(load_config(REPO / "configs" / "jet_linear_physics_d48_max_warm.yaml").to_yaml())
    assert linear["model"]["pooling"] == "max" and linear["train"]["init_from_float"] is True


def test_student_seeds_share_one_cached_teacher(tmp_path):
    raw = _raw("mlp_digits.yaml", tmp_path)
    raw["train"] |= {"epochs": 2, "distill": {"teacher": "float_twin", "teacher_seed": 7}}
    infos = []
    for seed in (1, 2):
        raw |= {"name": f"student_seed{seed}"}
        raw["train"]["seed"] = seed
        run = run_flow(config_from_dict(raw), until="train_torch")
        infos.append(json.loads((run.root / "model" / "teacher.json").read_text()))
        assert (run.root / "model" / "teacher.npz").is_file()
        assert run.record("train_torch").report.accuracy["teacher"].value == infos[-1]["accuracy"]
    assert infos[0]["cache_entry"] == infos[1]["cache_entry"]
    assert [i["was_cached"] for i in infos] == [False, True]
