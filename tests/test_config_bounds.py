"""Every number a config holds is bounded: each numeric field of every section (every model
family, data source and quantization framework) is tried with 0 and with a negative value;
a negative value is always one ``ConfigError`` naming the key, and 0 is refused unless it
means something (listed below with what it means), through the real CLI for a sample."""

from __future__ import annotations

import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from hwcodesign.config import config_from_dict
from hwcodesign.errors import ConfigError

#: Fields where 0 is a meaningful setting, with what it means.
ZERO_MEANS = {
    "data.seed": "seed 0",
    "data.workers": "all cores",
    "keras_file:data.val_fraction": "file data: no validation split",
    "keras2_file:data.val_fraction": "file data: no validation split",
    "data.generator.pthat_min_gev": "no lower pT-hat cut",
    "data.generator.jet_pt_min_gev": "no lower jet pT cut",
    "quantization.activation_int_bits": "activations start with no integer bits (sign only)",
    "quantization.activation_frac_bits": "activations start with no fraction bits",
    "quantization.beta_initial": "no EBOPs regularisation at the start",
    "quantization.beta_final": "no EBOPs regularisation",
    "train.seed": "seed 0",
    "train.weight_decay": "no weight decay",
    "target.rtl.verilator_threads": "all cores",
    "target.deploy.burst_gap_cycles": "no idle cycles between bursts",
    "target.deploy.ps_overhead_us": "no processor-side cost",
    "target.deploy.stall_test_pct": "no stalls in the stall test",
    "model.num_updates": "no per-particle layer after the global exchange",
    "model.head_layers": "the logits right after the aggregate",
}

_BASE = {"name": "bounds", "runs_dir": "/tmp/hwcd-bounds-never-made"}
_FILE_DATA = {"dataset": "file", "path": "d.npz"}
#: One base config per model family, data source and quantization framework.
VARIANTS = {
    "jet_transformer": {"data": {"dataset": "jets", "source": "sample", "jets_per_class": 100}},
    "jet_linear": {"model": {"kind": "jet_linear"}, "data": {"dataset": "jets", "source": "pythia"}},
    "keras_file": {"model": {"kind": "keras_file", "path": "m.keras"}, "data": _FILE_DATA},
    "keras2_file": {"model": {"kind": "keras2_file", "path": "m.h5"}, "data": _FILE_DATA},
    "onnx_file": {"model": {"kind": "onnx_file", "path": "m.onnx"}, "data": {"dataset": "digits"}},
    "mlp": {
        "model": {"kind": "mlp"},
        "quantization": {"framework": "brevitas"},
        "data": {"dataset": "fashion_mnist"},
    },
    "vit": {
        "model": {"kind": "vit"},
        "quantization": {"framework": "brevitas"},
        "data": {"dataset": "digits"},
    },
}


def _numeric(annotation) -> str | None:
    """'number', 'numbers' (a tuple of them) or None."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = {_numeric(a) for a in typing.get_args(annotation) if a is not type(None)}
        return next((k for k in kinds if k), None)
    if origin is tuple:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return "numbers" if args and all(_numeric(a) == "number" for a in args) else None
    if origin is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    return "number" if annotation in (int, float) else None


def _fields(section: BaseModel, prefix: str = ""):
    """(dotted key, 'number' | 'numbers') of every numeric field under ``section``."""
    for name, info in type(section).model_fields.items():
        value = getattr(section, name)
        if isinstance(value, BaseModel):
            yield from _fields(value, f"{prefix}{name}.")
        elif (kind := _numeric(info.annotation)) is not None:
            yield f"{prefix}{name}", kind


def _cases():
    seen = set()
    for variant, raw in VARIANTS.items():
        cfg = config_from_dict({**_BASE, **raw})
        for key, kind in _fields(cfg):
            sec = cfg.section(key.split(".")[0])
            section_kind = next(
                (str(getattr(sec, a)) for a in ("kind", "dataset", "framework") if hasattr(sec, a)), ""
            )
            if (key, section_kind) in seen and not key.startswith("model."):
                continue
            seen.add((key, section_kind))
            yield pytest.param(variant, key, kind, id=f"{variant}:{key}")


CASES = list(_cases())


def _with(raw: dict, dotted: str, value) -> dict:
    import copy

    raw = copy.deepcopy({**_BASE, **raw})
    node = raw
    *parents, leaf = dotted.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value
    return raw


@pytest.mark.parametrize(("variant", "key", "kind"), CASES)
def test_negative_and_zero(variant: str, key: str, kind: str):
    raw = VARIANTS[variant]
    for value in (-1, 0):
        v = [value] if kind == "numbers" else value
        if value == 0 and (key in ZERO_MEANS or f"{variant}:{key}" in ZERO_MEANS):
            config_from_dict(_with(raw, key, v))  # 0 means something: accepted
            continue
        with pytest.raises(ConfigError, match=rf"{key.replace('.', r'.')}(\.0)?: |{key.split('.')[-1]}") as e:
            config_from_dict(_with(raw, key, v))
        assert "\n" not in str(e.value)


def test_every_family_and_section_is_walked():
    keys = {c.values[1] for c in CASES}
    for must in (
        "model.hidden",
        "model.embed_dim",
        "target.deploy.batch_sizes",
        "data.limit",
        "train.epochs",
    ):
        assert must in keys, f"{must} is not walked"
    assert len(CASES) > 60


def test_a_zero_width_through_the_cli_is_one_line(tmp_path: Path):
    import subprocess
    import sys

    import yaml
    from conftest import REPO

    cfg = yaml.safe_load((REPO / "configs" / "mlp_digits.yaml").read_text())
    cfg["runs_dir"] = str(tmp_path / "runs")
    (tmp_path / "mlp.yaml").write_text(yaml.safe_dump(cfg))
    cli = Path(sys.executable).with_name("hwcodesign")
    res = subprocess.run(
        [cli, "run", tmp_path / "mlp.yaml", "--set", "model.hidden=[0]"], capture_output=True, text=True
    )
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert res.returncode == 2 and len(errors) == 1 and "model.hidden" in errors[0], res.stderr[-2000:]
    assert "Traceback" not in res.stderr and not (tmp_path / "runs").exists()
