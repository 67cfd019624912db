"""Sweep specs: the example specs load, mistakes are named, axes reach real config keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwcodesign.dse import SweepSpec, load_sweep
from hwcodesign.dse.spec import Axis
from hwcodesign.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["jet_pareto", "mlp_folding", "jet_pareto_slurm", "vit_fps"])
def test_example_specs_load_and_their_axes_exist(name):
    from hwcodesign.config import load_config
    from hwcodesign.dse.sweep import check_axes
    from hwcodesign.dse.trial import apply_overrides

    spec = load_sweep(REPO / "configs" / "sweeps" / f"{name}.yaml")
    assert spec.base.is_file() and spec.folder == spec.runs_dir / name
    check_axes(spec, apply_overrides(load_config(spec.base).model_dump(mode="json"), spec.fixed))


def test_axis_grids_and_sizes():
    assert Axis(range=(2, 8, 2)).grid() == [2, 4, 6, 8]
    assert Axis(range=(0.5, 1.0, 0.25)).grid() == [0.5, 0.75, 1.0]
    assert Axis(range=(1, 3, 1), integer=True).grid() == [1, 2, 3]
    assert Axis(log_range=(1e-7, 1e-5)).grid() is None
    spec = SweepSpec(
        name="s",
        base=Path("x.yaml"),
        axes={"a": Axis(values=[1, 2, 3]), "b": Axis(range=(2, 8, 2))},
        objectives=[{"metric": "lut", "direction": "minimize"}],
    )
    assert spec.grid_size() == 12


@pytest.mark.parametrize(
    "change, message",
    [
        ({"axes": {"model.embed_dim": {}}}, r"axes\.model\.embed_dim.*exactly one of values, range"),
        ({"axes": {"x": {"values": [1], "range": [1, 2, 1]}}}, r"exactly one of.*\['values', 'range'\]"),
        ({"axes": {"x": {"log_range": [0, 1]}}}, r"0 < low < high"),
        ({"objectives": [{"metric": "lut", "direction": "smaller"}]}, r"objectives\.0\.direction"),
        ({"constraints": [{"metric": "lut"}]}, r"metric, op and value, or fits_part"),
        ({"name": "../escape"}, r"name: String should match pattern"),
        ({"cluster": {"kind": "kubernetes"}}, r"cluster\.kind"),
    ],
)
def test_bad_specs_name_the_key(tmp_path, change, message):
    import yaml

    raw = yaml.safe_load((REPO / "configs" / "sweeps" / "jet_pareto.yaml").read_text())
    raw["base"] = str(REPO / "configs" / "jet_tagger_tiny.yaml")
    raw.update(change)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=message):
        load_sweep(path)


def test_an_axis_over_a_key_the_config_does_not_have_is_refused():
    from hwcodesign.config import load_config
    from hwcodesign.dse.sweep import check_axes

    spec = load_sweep(REPO / "configs" / "sweeps" / "jet_pareto.yaml")
    spec = spec.model_copy(update={"axes": {"model.embed_dimm": Axis(values=[4, 8])}})
    with pytest.raises(ConfigError, match=r"sweep axis model\.embed_dimm: .*embed_dimm"):
        check_axes(spec, load_config(spec.base).model_dump(mode="json"))


def test_a_sweep_folder_stands_for_its_spec(tmp_path):
    spec = load_sweep(REPO / "configs" / "sweeps" / "jet_pareto.yaml").model_copy(
        update={"runs_dir": tmp_path}
    )
    spec.save()
    again = load_sweep(tmp_path / "jet_pareto")
    assert again == spec
