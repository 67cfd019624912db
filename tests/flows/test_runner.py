"""The flow runner on real steps (the ``data`` step on the committed jet sample is fast)."""

import pytest

from hwcodesign.config import config_from_dict
from hwcodesign.errors import ConfigError, DataNotFoundError, RunExistsError, StepOrderError
from hwcodesign.flows import run_flow
from hwcodesign.run import Run


def _events(cfg, **kw):
    seen = []
    run = run_flow(cfg, on_event=lambda e: seen.append((e.step, e.state)), **kw)
    return run, seen


def test_rerun_skips_unchanged_step(tiny_config_dict):
    cfg = config_from_dict(tiny_config_dict)
    run, seen = _events(cfg, until="data")
    assert seen == [("data", "start"), ("data", "done")]
    first = run.record("data")
    assert first.status == "ok" and first.metrics["n_test"].value == 500

    _, seen = _events(cfg, until="data")
    assert seen == [("data", "cached")]
    _, seen = _events(cfg, until="data", force=True)
    assert seen == [("data", "start"), ("data", "done")]
    assert run.record("data").outputs_hash == first.outputs_hash  # deterministic data


def test_changed_config_is_not_overwritten_without_asking(tiny_config_dict):
    run_flow(config_from_dict(tiny_config_dict), until="data")
    tiny_config_dict["data"]["n_particles"] = 4
    changed = config_from_dict(tiny_config_dict)
    with pytest.raises(RunExistsError, match="data.n_particles"):
        run_flow(changed, until="data")
    run, seen = _events(changed, until="data", overwrite=True)
    assert seen == [("data", "start"), ("data", "done")]
    assert run.record("data").info["input_shape"] == [4, 4]


def test_a_setting_added_later_counts_with_its_default(tiny_config_dict):
    """A run made before ``target.synth.products`` existed is the same run: no --overwrite."""
    import yaml

    run = run_flow(config_from_dict(tiny_config_dict), until="data")
    stored = yaml.safe_load((run.root / "config.yaml").read_text())
    del stored["target"]["synth"]["products"]
    (run.root / "config.yaml").write_text(yaml.safe_dump(stored))
    _, seen = _events(config_from_dict(tiny_config_dict), until="data")
    assert seen == [("data", "cached")]
    tiny_config_dict["target"] = {**tiny_config_dict.get("target", {}), "synth": {"products": "lut"}}
    with pytest.raises(RunExistsError, match="target.synth.products"):
        run_flow(config_from_dict(tiny_config_dict), until="data")


def test_missing_file_is_refused_before_any_step(tiny_config_dict, tmp_path):
    tiny_config_dict["data"].update(source="hls4ml_zenodo", path=str(tmp_path / "missing.h5"))
    cfg = config_from_dict(tiny_config_dict)
    with pytest.raises(DataNotFoundError, match="missing.h5"):
        run_flow(cfg, until="data")
    assert Run(cfg).record("data") is None  # the preflight stopped it: nothing ran


def test_failed_step_is_recorded_and_leaves_no_output(tiny_config_dict, tmp_path):
    bad = tmp_path / "not_hdf5.h5"
    bad.write_text("these are not jets")
    tiny_config_dict["data"].update(source="hls4ml_zenodo", path=str(bad))
    cfg = config_from_dict(tiny_config_dict)
    with pytest.raises(DataNotFoundError, match="not_hdf5.h5 is not an HDF5 file"):
        run_flow(cfg, until="data")
    run = Run(cfg)
    assert run.record("data").status == "failed"
    assert not (run.root / "data").exists()


def test_interrupted_step_never_looks_complete(tiny_config_dict, monkeypatch):
    cfg = config_from_dict(tiny_config_dict)
    run_flow(cfg, until="data")
    good = (Run(cfg).root / "data" / "dataset.npz").read_bytes()

    from hwcodesign.data.splits import SplitDataset

    def interrupted_save(self, path):
        path.write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(SplitDataset, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        run_flow(cfg, until="data", force=True)
    run = Run(cfg)
    assert run.record("data").status == "failed"
    assert (run.root / "data" / "dataset.npz").read_bytes() == good  # old output untouched
    assert (run.root / ".data.tmp" / "dataset.npz").read_bytes() == b"half a file"  # kept aside
    monkeypatch.undo()
    _, seen = _events(cfg, until="data")
    assert seen == [("data", "start"), ("data", "done")]  # a failed record is never reused


def test_unknown_step_lists_known_ones(tiny_config_dict):
    cfg = config_from_dict(tiny_config_dict)
    with pytest.raises(ConfigError, match=r"unknown step 'rlt'; known: data, train, convert"):
        run_flow(cfg, until="rlt")


def test_step_before_its_inputs_is_refused(tiny_config_dict):
    cfg = config_from_dict(tiny_config_dict)
    with pytest.raises(StepOrderError, match="step 'convert' reads the output of step 'data'"):
        run_flow(cfg, only="convert")


def test_an_interrupt_that_comes_back_wrapped_is_still_an_interrupt(tiny_config_dict, monkeypatch):
    """Ctrl-C inside an import (or a ``__set_name__``) reaches the step as a RuntimeError caused
    by KeyboardInterrupt (seen on a cold start in CI): the run stops as interrupted, not as a bug."""
    from hwcodesign.data.splits import SplitDataset
    from hwcodesign.errors import interrupt_behind

    def save_interrupted_in_an_import(self, path):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise RuntimeError("Error calling __set_name__ on '_axis_method_wrapper'") from e

    cfg = config_from_dict(tiny_config_dict)
    monkeypatch.setattr(SplitDataset, "save", save_interrupted_in_an_import)
    with pytest.raises(KeyboardInterrupt):
        run_flow(cfg, until="data", force=True)
    assert Run(cfg).record("data").message == "interrupted (Ctrl-C)"
    plain = RuntimeError("a bug")
    assert interrupt_behind(plain) is None
