"""The table of careless-user inputs: bad configs, bad CLI flags, bad model and data files,
damaged run folders. Each case says which exit code and which one-line message it must
give; the test also checks that nothing outside the run folder changed.

A case's ``setup(sandbox)`` prepares files; ``needs_run`` copies the finished tiny run (the
suite's end-to-end run) into the sandbox first.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import yaml

from .sandbox import REPO, RUN_NAME, TINY, Sandbox

CFG = "cfg.yaml"


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    message: str  # regex searched in the output
    edits: dict | None = None
    setup: Callable[[Sandbox], None] | None = None
    needs_run: bool = False
    needs_tf: bool = False  # loads a Keras model (slower)
    changes: str = f"runs/{RUN_NAME}"  # the only folder the command may change


def _raw(text: str) -> Callable[[Sandbox], None]:
    def setup(sb: Sandbox) -> None:
        sb.cfg.write_text(text)

    return setup


def _keras_model(kind: str) -> Callable[[Sandbox], None]:
    """A user model file next to the config (written in a subprocess: keeps TF out of pytest)."""

    def setup(sb: Sandbox) -> None:
        import subprocess
        import sys

        code = _MODEL_CODE[kind].format(path=str(sb.root / "user.keras"))
        subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        cfg = yaml.safe_load(sb.cfg.read_text())
        cfg["model"] = {"kind": "keras_file", "path": "user.keras"}
        sb.cfg.write_text(yaml.safe_dump(cfg))

    return setup


_MODEL_CODE = {
    "lstm": "import keras\ninp = keras.Input((8, 4))\nx = keras.layers.LSTM(8, name='lstm')(inp)\n"
    "keras.Model(inp, keras.layers.Dense(5)(x)).save({path!r})",
    "shape": "import hgq, keras\nfrom hgq.layers import QDense\ninp = keras.Input((16,))\n"
    "keras.Model(inp, QDense(5)(inp)).save({path!r})",
    "mha": "import keras\ninp = keras.Input((8, 4))\nx = keras.layers.Dense(8)(inp)\n"
    "a = keras.layers.MultiHeadAttention(2, 4, name='mha')(x, x)\n"
    "x = keras.layers.GlobalAveragePooling1D()(keras.layers.Add()([x, a]))\n"
    "keras.Model(inp, keras.layers.Dense(5)(x)).save({path!r})",
}


def _model_file(content: bytes | None = None, zip_of: str | None = None) -> Callable[[Sandbox], None]:
    def setup(sb: Sandbox) -> None:
        path = sb.root / "user.keras"
        if zip_of is not None:
            with zipfile.ZipFile(path, "w") as z:
                z.writestr("notes.txt", zip_of)
        else:
            path.write_bytes(content or b"")
        cfg = yaml.safe_load(sb.cfg.read_text())
        cfg["model"] = {"kind": "keras_file", "path": "user.keras"}
        sb.cfg.write_text(yaml.safe_dump(cfg))

    return setup


def _sweep_spec(sb: Sandbox) -> None:
    """The jet sweep spec, its runs inside the sandbox (should anything start, it stays there)."""
    spec = yaml.safe_load((REPO / "configs" / "sweeps" / "jet_pareto.yaml").read_text())
    spec["runs_dir"] = "runs"
    spec["base"] = str(REPO / "configs" / "sweeps" / spec["base"]) if "base" in spec else spec.get("base")
    (sb.root / "sweep.yaml").write_text(yaml.safe_dump(spec))


def _with_nans(x: np.ndarray) -> np.ndarray:
    x[1, 0, 0], x[1, 2, 3], x[7, 5, 1] = np.nan, np.inf, -np.inf
    return x


def _truncated_keras(sb: Sandbox) -> None:
    _keras_model("shape")(sb)
    path = sb.root / "user.keras"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _npz(sb: Sandbox, **arrays) -> None:
    np.savez(sb.root / "d.npz", **arrays)


def _file(rel: str, content: bytes = b"x") -> Callable[[Sandbox], None]:
    def setup(sb: Sandbox) -> None:
        (sb.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (sb.root / rel).write_bytes(content)

    return setup


def _users_folder(sb: Sandbox) -> None:
    d = sb.run_dir
    d.mkdir(parents=True, exist_ok=True)
    (d / "thesis.tex").write_text("three years of work")


def _symlinked_run(sb: Sandbox) -> None:
    outside = sb.root / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    sb.runs.mkdir(exist_ok=True)
    (sb.run_dir).symlink_to(outside)


def _damage(rel: str, how: str) -> Callable[[Sandbox], None]:
    def setup(sb: Sandbox) -> None:
        p = sb.run_dir / rel
        if how == "garbage":
            p.write_bytes(b"\x00\x01 not json {")
        elif how == "empty":
            p.write_bytes(b"")
        elif how == "truncate":
            data = p.read_bytes()
            p.write_bytes(data[: len(data) // 3])
        elif how == "delete":
            p.unlink()
        elif how == "delete_dir":
            shutil.rmtree(p)

    return setup


def _cfg_edit_in_run(edits: dict) -> Callable[[Sandbox], None]:
    def setup(sb: Sandbox) -> None:
        sb.write_config(edits)

    return setup


def _zenodo_garbage(sb: Sandbox) -> None:
    (sb.root / "jets.h5").write_text("not HDF5")


def _read_only_runs_dir(sb: Sandbox) -> None:
    if os.geteuid() == 0:  # root ignores permission bits; /sys refuses new folders (EPERM)
        sb.write_config({"runs_dir": "/sys/hwcodesign-runs"})
    else:
        ro = sb.root / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        sb.write_config({"runs_dir": "ro"})


R = ("run", CFG)
CASES: list[Case] = [
    # -- the config file -------------------------------------------------------------
    Case("config-missing", ("run", "nope.yaml"), 2, r"config file not found: nope\.yaml"),
    Case("config-is-a-folder", ("run", "."), 2, r"is a folder, not a config file"),
    Case(
        "config-bad-yaml",
        R,
        2,
        r"not valid YAML \(line \d+, column \d+\): expected",
        setup=_raw("name: [unclosed\n"),
    ),
    Case("config-a-list", R, 2, r"top level must be a mapping", setup=_raw("- a\n- b\n")),
    Case(
        "config-binary",
        R,
        2,
        r"cannot read config file|not valid YAML",
        setup=_file(CFG, b"\xff\xfe\x00\x9c"),
    ),
    Case("config-empty", R, 2, r"name: Field required", setup=_raw("")),
    Case("unknown-top-key", R, 2, r"trian: Extra inputs are not permitted", edits={"trian": {"epochs": 2}}),
    Case("unknown-nested-key", R, 2, r"model\.embed_dimm: Extra inputs", edits={"model.embed_dimm": 8}),
    Case(
        "wrong-type", R, 2, r"train\.epochs: Input should be a valid integer", edits={"train.epochs": "many"}
    ),
    Case(
        "negative-epochs",
        R,
        2,
        r"train\.epochs: Input should be greater than or equal to 1",
        edits={"train.epochs": -3},
    ),
    Case("name-dotdot", R, 2, r"name: String should match pattern", edits={"name": ".."}),
    Case("name-dot", R, 2, r"name: String should match pattern", edits={"name": "."}),
    Case("name-climbs", R, 2, r"name: String should match pattern", edits={"name": "../escape"}),
    Case("name-slash", R, 2, r"name: String should match pattern", edits={"name": "a/b"}),
    Case("name-hidden", R, 2, r"name: String should match pattern", edits={"name": ".hidden"}),
    Case("name-empty", R, 2, r"name: String should match pattern", edits={"name": ""}),
    Case(
        "name-300-chars", R, 2, r"name: String should have at most 100 characters", edits={"name": "x" * 300}
    ),
    Case("name-a-number", R, 2, r"name: Input should be a valid string", edits={"name": 5}),
    Case(
        "unknown-part",
        R,
        2,
        r"unknown FPGA part 'xc9zz999'.*known devices: xcvu13p",
        edits={"target.part": "xc9zz999"},
    ),
    Case(
        "unknown-flow",
        R,
        2,
        r"unknown flow 'vivado'; known: keras_hls4ml, torch_finn, qonnx_finn",
        edits={"flow": "vivado"},
    ),
    Case(
        "unknown-model-kind",
        R,
        2,
        r"model: .*'transformer'|model.*does not match",
        edits={"model.kind": "transformer"},
    ),
    Case(
        "heads-do-not-divide",
        R,
        2,
        r"embed_dim \(10\) must be divisible by num_heads \(3\)",
        edits={"model.embed_dim": 10, "model.num_heads": 3},
    ),
    Case(
        "jets-1e9",
        R,
        2,
        r"data\.jets_per_class: Input should be less than or equal to 1000000",
        edits={"data.jets_per_class": 1e9},
    ),
    Case(
        "sample-too-small",
        R,
        2,
        r"committed sample holds 500 jets per class, fewer than data\.jets_per_class=800",
        edits={"data.jets_per_class": 800},
    ),
    Case(
        "unknown-feature",
        R,
        2,
        r"data\.features\.1: Input should be",
        edits={"data.features": ["ptrel", "mass"]},
    ),
    Case(
        "too-few-to-split",
        R,
        2,
        r"jets_per_class=3 is too few to split: .* each class needs at least 10",
        edits={"data.jets_per_class": 3},
    ),
    Case(
        "zero-particles",
        R,
        2,
        r"data\.n_particles: Input should be greater than or equal to 1",
        edits={"data.n_particles": 0},
    ),
    Case(
        "val-fraction-0.9",
        R,
        2,
        r"data\.val_fraction: Input should be less than 0\.5",
        edits={"data.val_fraction": 0.9},
    ),
    Case(
        "clock-zero", R, 2, r"target\.clock_ns: Input should be greater than 0", edits={"target.clock_ns": 0}
    ),
    Case(
        "negative-cutoff",
        R,
        2,
        r"target\.rtl\.latency_cutoff: Input should be greater than 0",
        edits={"target.rtl.latency_cutoff": -1},
    ),
    Case(
        "wrong-flow-for-model",
        R,
        2,
        r"model\.kind jet_transformer is made by step 'train' \(flow keras_hls4ml\); flow torch_finn makes "
        r"its model with step 'train_torch': leave flow out to get keras_hls4ml",
        edits={"flow": "torch_finn"},
    ),
    Case(
        "zenodo-without-path",
        R,
        2,
        r"data\.path is required for data\.source 'hls4ml_zenodo'",
        edits={"data.source": "hls4ml_zenodo"},
    ),
    Case(
        "zenodo-path-missing",
        R,
        2,
        r"data file not found: .*missing\.h5",
        edits={"data.source": "hls4ml_zenodo", "data.path": "missing.h5"},
    ),
    Case(
        "zenodo-not-hdf5",
        R,
        2,
        r"jets\.h5 is not an HDF5 file",
        edits={"data.source": "hls4ml_zenodo", "data.path": "jets.h5"},
        setup=_zenodo_garbage,
    ),
    Case(
        "fashion-mnist-missing",
        R,
        2,
        r"Fashion-MNIST not found in .*nowhere",
        edits={
            "flow": "torch_finn",
            "data": {"dataset": "fashion_mnist", "path": "nowhere"},
            "model": {"kind": "mlp"},
            "quantization": {"framework": "brevitas"},
        },
    ),
    # -- the user's model file ---------------------------------------------------------
    Case(
        "cli-model-unknown-format",
        ("run", "--model", "model.pt", "--data", "d.npz"),
        2,
        r"cannot tell the model format of model\.pt: use \.h5, \.hdf5, \.json, \.keras, \.onnx",
    ),
    Case(
        "cli-data-missing",
        ("run", "--model", "user.keras", "--data", "nowhere.npz"),
        2,
        r"data file not found: .*nowhere\.npz \(data\.path\)",
        setup=_keras_model("shape"),
    ),
    Case(
        "data-file-shape-mismatch",
        R,
        2,
        r"takes inputs of shape \(16,\), but the data gives \(16, 1\) per sample",
        setup=lambda sb: (_keras_model("shape")(sb), _npz(sb, x=np.zeros((50, 16, 1)), y=np.arange(50) % 5)),
        edits={"data": {"dataset": "file", "path": "d.npz"}},
        needs_tf=True,
    ),
    Case(
        "keras2-without-legacy-venv",
        R,
        2,
        r"step 'train \(model\.kind keras2_file\)' needs the legacy Keras 2 / QKeras venv.*make legacy-venv",
        edits={"model": {"kind": "keras2_file", "path": "m.h5", "legacy_python": "/nonexistent/python"}},
        setup=_file("m.h5"),
    ),
    Case(
        "model-missing",
        R,
        2,
        r"model file not found: .*gone\.keras \(model\.path\)",
        edits={"model": {"kind": "keras_file", "path": "gone.keras"}},
    ),
    Case(
        "model-is-text",
        R,
        2,
        r"user\.keras is not a readable Keras 3 \.keras file",
        setup=_model_file(b"just some text\n"),
        needs_tf=True,
    ),
    Case(
        "model-truncated",
        R,
        2,
        r"user\.keras is not a readable Keras 3 \.keras file",
        setup=_truncated_keras,
        needs_tf=True,
    ),
    Case(
        "model-zip-of-other",
        R,
        2,
        r"user\.keras is not a readable Keras 3 \.keras file",
        setup=_model_file(zip_of="hello"),
        needs_tf=True,
    ),
    Case(
        "model-input-shape",
        R,
        2,
        r"takes inputs of shape \(16,\), but the data gives \(8, 4\)",
        setup=_keras_model("shape"),
        needs_tf=True,
    ),
    Case(
        "model-lstm",
        R,
        2,
        r"layer 1 'lstm' \(keras\.src\.layers\.rnn\.lstm\.LSTM\) is not supported by post-training quantization to HGQ2.*QSimpleRNN",
        setup=_keras_model("lstm"),
        needs_tf=True,
    ),
    Case(
        "model-plain-mha",
        R,
        2,
        r"layer 2 'mha' \(keras\.src\.layers\.attention\.multi_head_attention\.MultiHeadAttention\).*train with it",
        setup=_keras_model("mha"),
        needs_tf=True,
    ),
    # -- command-line flags ------------------------------------------------------------
    Case(
        "unknown-option",
        ("run", CFG, "--modle", "x"),
        2,
        r"No such option: --modle \(Possible options: .*--model.*\) \(see: hwcodesign run --help\)",
    ),
    Case(
        "no-arguments",
        ("run",),
        2,
        r"give a run config \(hwcodesign run my\.yaml\) or a model \(hwcodesign run --model my\.keras --data my\.npz\)",
    ),
    Case("unknown-command", ("fly",), 2, r"No such command 'fly'"),
    Case(
        "set-without-equals",
        (*R, "--set", "train.epochs"),
        2,
        r"--set expects key=value, got 'train\.epochs'",
    ),
    Case("set-bad-yaml", (*R, "--set", "name=[1"), 2, r"--set name=\[1: the value is not valid YAML"),
    Case(
        "set-unknown-key", (*R, "--set", "train.epoks=3"), 2, r"train\.epoks: Extra inputs are not permitted"
    ),
    Case("set-name-dotdot", (*R, "--set", "name=.."), 2, r"name: String should match pattern"),
    Case("set-into-a-value", (*R, "--set", "name.x=3"), 2, r"cannot set 'name\.x': 'name' is not a section"),
    Case("until-unknown-step", (*R, "--until", "rlt"), 2, r"unknown step 'rlt'; known: data, train, convert"),
    Case(
        "only-other-flow-step",
        (*R, "--only", "finn"),
        2,
        r"step 'finn' is not part of this flow; its steps: data, train",
    ),
    Case(
        "only-before-inputs",
        (*R, "--only", "convert"),
        2,
        r"step 'convert' reads the output of step 'data', which has not run",
    ),
    Case("show-not-a-run", ("show", "."), 2, r"is not a hwcodesign run folder \(it has no config\.yaml\)"),
    Case("show-missing-folder", ("show", "nowhere"), 2, r"nowhere is not a folder"),
    Case("report-not-a-run", ("report", "."), 2, r"is not a hwcodesign run folder"),
    Case(
        "run-model-missing-until-data",
        ("run", "--model", "gone.keras", "--data", "d.npz", "--until", "data", "--runs-dir", "runs"),
        2,
        r"model file not found: .*gone\.keras \(model\.path\)",
        setup=lambda sb: _npz(sb, x=np.zeros((50, 8)), y=np.arange(50) % 5),
    ),
    Case(
        "set-zero-width",
        (*R, "--set", "model.ff_dim=0"),
        2,
        r"model\.ff_dim: Input should be greater than or equal to 1",
    ),
    Case(
        "set-zero-batch-size",
        (*R, "--set", "target.deploy.batch_sizes=[64, 0]"),
        2,
        r"target\.deploy\.batch_sizes\.1: Input should be greater than or equal to 1",
    ),
    # -- emulate, deploy, sweep ----------------------------------------------------------
    Case("emulate-chunk-0", ("emulate", f"runs/{RUN_NAME}", "--chunk", "0"), 2, r"chunk must be at least 1"),
    Case(
        "emulate-threads-negative",
        ("emulate", f"runs/{RUN_NAME}", "--threads", "-3"),
        2,
        r"threads must be 0 \(all cores\) or a positive number, got -3",
    ),
    Case(
        "emulate-out-folder-missing",
        ("emulate", f"runs/{RUN_NAME}", "--out", "nowhere/scores.npy"),
        2,
        r"--out nowhere/scores\.npy: the folder nowhere does not exist",
    ),
    Case(
        "emulate-out-not-npy",
        ("emulate", f"runs/{RUN_NAME}", "--out", "scores.csv"),
        2,
        r"outputs are written as a \.npy file",
    ),
    Case(
        "emulate-out-exists",
        ("emulate", f"runs/{RUN_NAME}", "--out", "keep.npy"),
        2,
        r"keep\.npy exists; remove it or choose another --out",
        setup=_file("keep.npy"),
    ),
    Case(
        "emulate-data-garbage",
        ("emulate", f"runs/{RUN_NAME}", "--data", "x.npy"),
        2,
        r"x\.npy is not a readable \.npy file",
        setup=_file("x.npy", b"\x93NUMPY not really"),
    ),
    Case(
        "emulate-data-missing",
        ("emulate", f"runs/{RUN_NAME}", "--data", "gone.npy"),
        2,
        r"gone\.npy: no such file",
    ),
    Case("emulate-not-a-run", ("emulate", "."), 2, r"is not a hwcodesign run folder"),
    Case(
        "emulate-transposed-input",
        ("emulate", f"runs/{RUN_NAME}", "--data", "x.npy"),
        2,
        r"inputs of shape \(20, 4, 8\) do not fit the design, which takes \(n, 8, 4\): axis 1 is 4, not 8; "
        r"axis 2 is 8, not 4",
        setup=lambda sb: np.save(sb.root / "x.npy", np.zeros((20, 4, 8), np.float32)),
        needs_run=True,
    ),
    Case(
        "emulate-nan-input",
        ("emulate", f"runs/{RUN_NAME}", "--data", "x.npy"),
        2,
        r"inputs hold 3 NaN/Inf values \(in 2 of 20 samples, first: \[1, 7\]\)",
        setup=lambda sb: np.save(sb.root / "x.npy", _with_nans(np.ones((20, 8, 4), np.float32))),
        needs_run=True,
    ),
    Case("deploy-not-a-run", ("deploy", "."), 2, r"is not a hwcodesign run folder"),
    Case(
        "sweep-trials-0",
        ("sweep", "run", "sweep.yaml", "--trials", "0"),
        2,
        r"trials: Input should be greater than or equal to 1",
        setup=_sweep_spec,
    ),
    Case(
        "sweep-csv-folder-missing",
        ("sweep", "show", "sweep.yaml", "--csv", "nowhere/t.csv"),
        2,
        r"--csv nowhere/t\.csv: the folder nowhere does not exist",
        setup=_sweep_spec,
    ),
    Case("sweep-spec-missing", ("sweep", "show", "nowhere.yaml"), 2, r"sweep spec not found: nowhere\.yaml"),
    # -- where the run folder goes -------------------------------------------------------
    Case(
        "runs-dir-parent-is-a-file",
        R,
        2,
        r"a file is in the way on that path \(runs_dir\)",
        edits={"runs_dir": "afile/runs"},
        setup=_file("afile"),
    ),
    Case(
        "runs-dir-read-only",
        R,
        2,
        r"cannot create the run folder .*(Operation not permitted|Permission denied) \(runs_dir\)",
        setup=_read_only_runs_dir,
    ),
    Case(
        "run-folder-is-users-folder",
        R,
        2,
        r"exists and is not a hwcodesign run folder \(no config\.yaml\); nothing in it was touched",
        setup=_users_folder,
    ),
    Case(
        "run-folder-is-a-file",
        R,
        2,
        r"exists and is a file, not a run folder",
        setup=_file(f"runs/{RUN_NAME}"),
    ),
    Case("run-folder-symlink-out", R, 2, r"is not inside runs_dir", setup=_symlinked_run),
    # -- a finished run, damaged or reused ----------------------------------------------
    Case(
        "show-report-missing",
        ("show", f"runs/{RUN_NAME}"),
        2,
        r"report\.json does not exist: run the flow through its report step",
        setup=_damage("report", "delete_dir"),
        needs_run=True,
    ),
    Case(
        "show-report-corrupt",
        ("show", f"runs/{RUN_NAME}"),
        2,
        r"report\.json is damaged; rebuild it with: hwcodesign report",
        setup=_damage("report/report.json", "garbage"),
        needs_run=True,
    ),
    Case(
        "show-config-damaged",
        ("show", f"runs/{RUN_NAME}"),
        2,
        r"config\.yaml is damaged",
        setup=_damage("config.yaml", "garbage"),
        needs_run=True,
    ),
    Case(
        "run-config-damaged",
        R,
        2,
        r"config\.yaml is damaged \(\w+\); pass --overwrite to rebuild",
        setup=_damage("config.yaml", "garbage"),
        needs_run=True,
    ),
    Case(
        "changed-config",
        R,
        2,
        r"holds a run made with a different config \(changed: train\.epochs\)",
        setup=_cfg_edit_in_run({"train.epochs": 3}),
        needs_run=True,
    ),
    Case(
        "only-after-damaged-input",
        (*R, "--only", "convert"),
        2,
        r"reads the output of step 'train', which is damaged \(model/quantized\.keras is missing\)",
        setup=_damage("model/quantized.keras", "delete"),
        needs_run=True,
    ),
    Case(
        "record-garbage-is-remade",
        (*R, "--until", "data"),
        0,
        r"steps/data\.json is damaged \(.*\): re-running step 'data'",
        setup=_damage("steps/data.json", "garbage"),
        needs_run=True,
    ),
    Case(
        "record-empty-is-remade",
        (*R, "--until", "data"),
        0,
        r"steps/data\.json is damaged .*: re-running step 'data'",
        setup=_damage("steps/data.json", "empty"),
        needs_run=True,
    ),
    Case(
        "dataset-truncated-is-remade",
        (*R, "--until", "data"),
        0,
        r"data/dataset\.npz has \d+ bytes, expected \d+: re-running step 'data'",
        setup=_damage("data/dataset.npz", "truncate"),
        needs_run=True,
    ),
    Case(
        "manifest-deleted-is-remade",
        (*R, "--until", "data"),
        0,
        r"data/manifest\.json is missing: re-running step 'data'",
        setup=_damage("data/manifest.json", "delete"),
        needs_run=True,
    ),
    Case(
        "data-folder-deleted-is-remade",
        (*R, "--until", "data"),
        0,
        r"its folder data/ is missing: re-running step 'data'",
        setup=_damage("data", "delete_dir"),
        needs_run=True,
    ),
    Case(
        "force-on-damaged-record",
        (*R, "--until", "data", "--force"),
        0,
        r"steps/data\.json is damaged",
        setup=_damage("steps/data.json", "garbage"),
        needs_run=True,
    ),
    Case(
        "overwrite-on-damaged-config",
        (*R, "--until", "data", "--overwrite"),
        0,
        r"✓ data",
        setup=_damage("config.yaml", "garbage"),
        needs_run=True,
    ),
    Case(
        "report-of-a-copied-run",
        ("report", "runs/copy_of_tiny"),
        0,
        r"report: runs/copy_of_tiny/report/index\.html",
        setup=lambda sb: shutil.copytree(sb.run_dir, sb.runs / "copy_of_tiny"),
        needs_run=True,
        changes="runs/copy_of_tiny",
    ),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
assert TINY.is_file()
