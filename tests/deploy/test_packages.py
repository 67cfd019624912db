"""Deployment packages and the virtual board, on the suite's own end-to-end runs: the tiny jet
tagger on zcu104 (da4ml pipeline) and as an xcvu13p IP core, the 4-bit MLP on pynq-z2 and the
integer-only tiny ViT on zcu104 and pynq-z2 (finn-plus RTL layers stitched as one design). The
package's own driver runs against its own RTL in Verilator."""

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO, mismatch_message

from hwcodesign.config import config_from_dict
from hwcodesign.flows import run_flow


def _rerun(src_run, tmp_path: Path, board: str | None, clock_ns: float | None = None):
    """The run copied, retargeted to ``board``; only what depends on the board re-runs."""
    import shutil

    dst = tmp_path / "runs" / src_run.config.name
    shutil.copytree(src_run.root, dst)
    raw = yaml.safe_load((dst / "config.yaml").read_text())
    raw["runs_dir"] = str(tmp_path / "runs")
    if board:
        raw["target"]["board"] = board
        raw["target"].pop("part")
    if clock_ns:
        raw["target"]["clock_ns"] = clock_ns
    return run_flow(config_from_dict(raw), overwrite=True)


def _check_manifest(deploy: Path) -> dict:
    manifest = json.loads((deploy / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((deploy / name).read_bytes()).hexdigest() == digest, name
    return manifest


@pytest.fixture(scope="module")
def tagger_zcu104(tiny_run, tmp_path_factory):
    return _rerun(tiny_run, tmp_path_factory.mktemp("zcu104"), "zcu104")


def test_jet_tagger_on_zcu104_virtual_board(tagger_zcu104, tiny_run):
    run = tagger_zcu104
    deploy = run.root / "deploy"
    manifest = _check_manifest(deploy)
    assert manifest["part"] == "xczu7ev-ffvc1156-2-e" and manifest["clock_mhz"] == 200.0
    for f in (
        "driver.py",
        "accelerator.json",
        "run_on_board.ipynb",
        "README.md",
        "vivado/build_bitstream.tcl",
        "ip/hwcd_axis_pipeline.v",
        "ip/hwcd_accel.v",
        "test_inputs.npy",
        "test_outputs.npy",
    ):
        assert f in manifest["files"], f
    assert not (deploy / "hwcd_accel.bit").exists()  # nothing pretends to be a bitstream
    assert not any("does not fit" in n for n in run.record("package").report.notes)  # ~100k LUT
    tcl = (deploy / "vivado" / "build_bitstream.tcl").read_text()
    assert "zynq_ultra_ps_e" in tcl and "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {200.0}" in tcl
    assert "c_m_axis_mm2s_tdata_width {64}" in tcl

    vb = run.record("virtual_board").metrics
    # independent reference: the hls4ml emulation the tiny run itself stored
    emu = np.load(tiny_run.root / "hls" / "emulation.npz")["hls"]
    assert np.array_equal(
        np.load(deploy / "test_outputs.npy"), emu[: len(np.load(deploy / "test_outputs.npy"))]
    )
    assert vb["predict_bit_exact_vs_emulation"].value == 1.0 and vb["predict_bit_exact_vs_emulation"].n == 500
    assert vb["stall_test_bit_exact"].value == 1.0, (
        "random tvalid gaps / tready stalls lost or reordered a sample"
    )
    assert vb["predict_bit_exact_vs_emulation"].kind == "simulated"
    lat = tiny_run.record("rtl").metrics["latency_cycles"].value
    assert vb["first_sample_latency_cycles"].value > lat  # the bare pipeline plus beat (de)serialisation
    tests = json.loads((run.root / "virtual_board" / "virtual_board.json").read_text())["throughput_test"]
    for b, t in tests.items():
        assert t["batch_size"] == int(b) and t["fclk[mhz]"] == 200.0
        assert t["throughput[samples/s]"] == pytest.approx(int(b) / (t["runtime[ms]"] / 1e3), rel=1e-9)
    assert tests["1024"]["throughput[samples/s]"] > tests["1"]["throughput[samples/s]"]
    report = json.loads((run.root / "report" / "report.json").read_text())
    assert report["deployment"]["throughput_batch1024"]["kind"] == "simulated"
    assert "burst_gap_cycles" in report["deployment"]["throughput_batch1024"]["source"]


def test_the_driver_packs_as_da4ml_and_finn_expect(tagger_zcu104):
    """pack() reproduces da4ml's own input encoding bit for bit; unpack() inverts packing."""
    from hwcodesign.backends.da4ml.project import encode_inputs
    from hwcodesign.steps.virtual_board import load_driver

    deploy = tagger_zcu104.root / "deploy"
    spec = json.loads((deploy / "accelerator.json").read_text())
    driver = load_driver(deploy)

    class Host:  # no DMA needed to pack
        fclk_mhz = 1.0
        axi_dma_0 = None

        def allocate(self, shape, dtype):
            return np.zeros(shape, dtype)

    acc = driver.Accelerator(overlay=Host(), max_batch=8)
    x = np.load(deploy / "test_inputs.npy")[:8]
    bits = np.unpackbits(acc.pack(x), axis=1, bitorder="little")
    w = spec["in_bits"]
    weights = 1 << np.arange(w)
    ints = np.stack(
        [[int((bits[r, i * w : (i + 1) * w] * weights).sum()) for i in range(spec["n_in"])] for r in range(8)]
    )
    ints = np.where(ints >= 1 << (w - 1), ints - (1 << w), ints)
    assert np.array_equal(ints, encode_inputs(x, tuple(spec["in_kif"])))


def test_xcvu13p_is_an_ip_core_without_driver(tiny_run):
    deploy = tiny_run.root / "deploy"
    manifest = _check_manifest(deploy)
    assert manifest["board"] == "xcvu13p" and manifest["shell"] == "none"
    assert "vivado/package_ip.tcl" in manifest["files"] and "driver.py" not in manifest["files"]
    notes = json.loads((tiny_run.root / "report" / "report.json").read_text())["notes"]
    assert any("virtual board not run: xcvu13p is an IP core" in n for n in notes)


def test_mlp_on_pynq_z2_virtual_board(mlp_run, tmp_path):
    run = _rerun(mlp_run, tmp_path, "pynq-z2", clock_ns=10.0)
    deploy = run.root / "deploy"
    manifest = _check_manifest(deploy)
    assert manifest["part"] == "xc7z020clg400-1" and manifest["clock_mhz"] == 100.0
    spec = json.loads((deploy / "accelerator.json").read_text())
    assert spec["kind"] == "finn" and spec["bus_bits"] == 32
    assert "processing_system7" in (deploy / "vivado" / "build_bitstream.tcl").read_text()
    top = (deploy / "ip" / "src" / "hwcd_dataflow.v").read_text()
    assert (
        top.count("hwcd_rom_stream #") == 4 and "StreamingDataWidthConverter" in top
    )  # 4 MVAUs, DWCs inserted
    assert "hwcd_dataflow dataflow" in (deploy / "ip" / "hwcd_finn_accel.v").read_text()
    # the package builds on the stitched design of the stitch step: same RTL, same FIFO depths
    assert top == (run.root / "stitch" / "design" / "src" / "hwcd_dataflow.v").read_text()
    whole = run.record("stitch").metrics  # the whole design == finn-plus' graph on every test image
    assert whole["whole_design_vs_finn_python"].value == 1.0 and whole["whole_design_vs_finn_python"].n == 360
    assert whole["whole_design_vs_model"].n == 360  # < 1 where finn-plus rounds ties up (step finn)
    vb = run.record("virtual_board").metrics
    assert vb["predict_bit_exact_vs_emulation"].value == 1.0 and vb["predict_bit_exact_vs_emulation"].n == 360
    assert vb["stall_test_bit_exact"].value == 1.0
    # independent: the test vectors' reference agrees with the original run's finn-plus Python execution
    ref = np.load(deploy / "test_outputs.npy")
    brevitas = np.load(mlp_run.root / "model" / "predictions.npz")["quantized"]
    assert np.mean(ref.argmax(1) == brevitas.argmax(1)) > 0.99


def test_make_bitstream_without_vivado_says_so(tiny_run):
    res = subprocess.run(
        ["make", "-s", "bitstream", f"RUN={tiny_run.root}"], cwd=REPO, capture_output=True, text=True
    )
    assert res.returncode != 0
    assert "has no Vivado block design" in res.stdout + res.stderr  # xcvu13p: an IP core


def test_overflow_against_the_part_catalogue():
    from hwcodesign.report.resources import overflows

    # xczu7ev (ZCU104): 230,400 LUT, 1,728 DSP (AMD DS891)
    part = "xczu7ev-ffvc1156-2-e"
    assert overflows({"LUT": 516_144, "DSP": 0, "FF": 10}, part) == {"LUT": (516_144, 230_400)}
    assert overflows({"LUT": 230_400, "DSP": 1_728}, part) == {}


@pytest.fixture(scope="session")
def vit_int_run(tmp_path_factory):
    """The integer-only tiny ViT (configs/vit_digits_int_tiny.yaml) through the whole PyTorch flow,
    every layer RTL, for ZCU104."""
    from hwcodesign.config import config_from_dict
    from hwcodesign.flows import run_flow

    raw = yaml.safe_load((REPO / "configs" / "vit_digits_int_tiny.yaml").read_text())
    raw["runs_dir"] = str(tmp_path_factory.mktemp("vit_int") / "runs")
    raw["target"]["board"] = "zcu104"
    raw["target"].pop("part")
    return run_flow(config_from_dict(raw))


def _check_vit_package(run, part: str, bus: int) -> None:
    """The package's driver on the virtual board (with and without random gaps / stalls) gives
    the whole design's outputs on every test vector, on the stitch step's design; and those are
    the trained model's outputs."""
    from hwcodesign.deploy.virtual import DmaModel, VirtualBoard
    from hwcodesign.steps.virtual_board import load_driver

    deploy = run.root / "deploy"
    manifest = _check_manifest(deploy)
    spec = json.loads((deploy / "accelerator.json").read_text())
    assert manifest["part"] == part and spec["kind"] == "finn" and spec["bus_bits"] == bus
    top = (deploy / "ip" / "src" / "hwcd_dataflow.v").read_text()
    assert top == (run.root / "stitch" / "design" / "src" / "hwcd_dataflow.v").read_text()
    assert top.count("hwcd_rom_stream #") == 8 and top.count("hwcd_stream_fifo #") == 53  # 8 MVAUs, 53 edges
    vb = run.record("virtual_board").metrics
    assert vb["predict_bit_exact_vs_emulation"].value == 1.0 and vb["stall_test_bit_exact"].value == 1.0
    x = np.load(deploy / "test_inputs.npy")
    n, scale = len(x), spec["out"]["scale"]
    whole = np.load(run.root / "stitch" / "outputs.npz")["raw"][:n] * scale  # the stitch step's Verilator run
    ys = []
    for pct in (0, 30):
        board = VirtualBoard(
            deploy,
            run.root / f"vb_check_{pct}",
            DmaModel(valid_gap_pct=pct, stall_pct=pct),
            run.cache_dir("verilator"),
        )
        ys.append(load_driver(deploy).Accelerator(overlay=board, max_batch=n).predict(x))
        assert np.array_equal(ys[-1], whole), mismatch_message(
            ys[-1], whole, f"{pct}% stalls vs whole design"
        )
    # independent of finn-plus: the trained Brevitas model's own outputs on the test vectors
    model_out = np.load(run.root / "model" / "predictions.npz")["quantized"][:n].reshape(n, -1)
    assert np.array_equal(ys[0], model_out), mismatch_message(
        ys[0], model_out, "virtual board vs trained model"
    )


@pytest.mark.slow
def test_int_vit_whole_design_and_zcu104_package(vit_int_run):
    run = vit_int_run
    rec = run.record("stitch")
    assert rec.metrics["whole_design_vs_finn_python"].value == 1.0
    stitched = json.loads((run.root / "stitch" / "stitch.json").read_text())
    t, est = stitched["timing"], stitched["estimate"]
    assert (
        t["interval_cycles"] == est["max_cycles"]
    )  # the slowest layer sets the pace, as finn-plus estimates
    assert t["first_latency_cycles"] < est["critical_path_cycles"]  # layers overlap within a frame
    for row in stitched["fifo_sizing"]["fifos"]:
        assert 2 <= row["depth"] <= row["deep_depth"], row
    report = json.loads((run.root / "report" / "report.json").read_text())
    assert report["latency"]["whole_design_throughput_fps"]["kind"] == "measured"
    assert report["bit_exactness"]["whole_design_vs_model"]["n"] == 360
    exact = rec.metrics["whole_design_vs_model"]  # every test image, raw outputs identical
    assert exact.value == 1.0 and exact.n == 360, rec.report.notes
    _check_vit_package(run, "xczu7ev-ffvc1156-2-e", 64)


@pytest.mark.slow
def test_int_vit_on_pynq_z2_virtual_board(vit_int_run, tmp_path):
    run = _rerun(vit_int_run, tmp_path, "pynq-z2", clock_ns=10.0)
    _check_vit_package(run, "xc7z020clg400-1", 32)
