from pathlib import Path

import pytest

from hwcodesign.config import JetDataConfig, RunConfig, config_from_dict, load_config
from hwcodesign.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_shipped_configs_load():
    for path in (REPO / "configs").glob("*.yaml"):
        cfg = load_config(path)
        assert cfg.runs_dir.is_absolute(), path


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: x\nmodel:\n  kind: jet_transformer\n  embed_dimm: 8\n")
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "model.embed_dimm" in str(e.value)
    assert "Extra inputs are not permitted" in str(e.value)


def test_wrong_type_is_named():
    with pytest.raises(ConfigError) as e:
        config_from_dict({"name": "x", "train": {"epochs": "many"}})
    assert "train.epochs" in str(e.value)


def test_heads_must_divide_embedding():
    with pytest.raises(ConfigError, match="divisible by num_heads"):
        config_from_dict({"name": "x", "model": {"embed_dim": 10, "num_heads": 3}})


def test_paths_resolve_against_the_config_file(tmp_path):
    sub = tmp_path / "cfgs"
    sub.mkdir()
    p = sub / "c.yaml"
    p.write_text(
        "name: x\nruns_dir: ../out\ndata:\n  dataset: jets\n  source: hls4ml_zenodo\n  path: data/jets.h5\n"
    )
    cfg = load_config(p)
    assert cfg.runs_dir == (tmp_path / "out").resolve()
    assert isinstance(cfg.data, JetDataConfig)
    assert cfg.data.path == (sub / "data" / "jets.h5").resolve()


def test_dotted_overrides(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: x\n")
    cfg = load_config(p, {"train.epochs": 3, "target.rtl.latency_cutoff": 2.5})
    assert cfg.train.epochs == 3 and cfg.target.rtl.latency_cutoff == 2.5


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_yaml_round_trip():
    cfg = RunConfig(name="rt")
    import yaml

    assert config_from_dict(yaml.safe_load(cfg.to_yaml())) == cfg


def test_options_added_later_leave_old_configs_and_their_hashes_alone():
    """Optional settings that are off are left out of the dump (the step hashes use it), so a run
    folder made before they existed stays cached; set, they are in it."""
    from hwcodesign.config import config_from_dict, load_config

    raw = load_config(REPO / "configs" / "vit_fashion_mnist_int.yaml").model_dump(mode="json")
    assert "stitch_frames" not in raw["target"]["finn"]
    assert "distill" not in raw["train"] and "mixed_precision" not in raw["quantization"]
    raw["target"]["finn"]["stitch_frames"] = 40
    assert config_from_dict(raw).model_dump(mode="json")["target"]["finn"]["stitch_frames"] == 40
    raw["target"]["finn"]["stitch_frames"] = 3
    with pytest.raises(ConfigError, match="stitch_frames"):
        config_from_dict(raw)
