"""Yosys wrapper: a real synthesis of a small design, and the stat parsers."""

import shutil
from pathlib import Path

import pytest

from hwcodesign.targets import part_info, utilisation, yosys_family
from hwcodesign.tools import yosys

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "yosys"
needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")


def test_parse_text_stat_of_a_real_run():
    cells = yosys.parse_stat_text((FIX / "add8_xcup_stat_yosys0.23.txt").read_text())
    assert cells == {"BUFG": 1, "CARRY4": 3, "FDRE": 9, "IBUF": 17, "LUT2": 8, "OBUF": 9}
    counts = yosys.categorise_cells(cells)
    assert counts == {"LUT": 8, "FF": 9, "CARRY": 3, "DSP": 0, "BRAM_18K": 0}


def test_categorise_counts_36k_bram_twice():
    counts = yosys.categorise_cells(
        {
            "RAMB36E2": 2,
            "RAMB18E2": 1,
            "LUT6": 4,
            "LUT6_2": 1,
            "DSP48E2": 3,
            "SRLC32E": 2,
            "FDSE": 1,
            "FDRE": 2,
        }
    )
    assert counts["BRAM_18K"] == 5 and counts["LUT"] == 5 and counts["DSP"] == 3
    assert counts["SRL"] == 2 and counts["FF"] == 3


@needs_yosys
def test_synth_xilinx_counts_a_registered_adder(hostile_dir):
    src = hostile_dir / "add 8;x.v"
    shutil.copy(FIX / "add8.v", src)
    r = yosys.synth_xilinx([src], "add8", "xcup", hostile_dir / "out")
    # 9 result bits are registered; each of the 8 bit positions needs one LUT2 (a xor b)
    assert r.counts["FF"] == 9 and r.counts["LUT"] == 8 and not r.timed_out
    assert r.counts["DSP"] == 0


@needs_yosys
def test_synth_modules_caches_and_respects_the_budget(tmp_path):
    jobs = [("add8", [FIX / "add8.v"])]
    first = yosys.synth_modules(jobs, "xcup", tmp_path / "a", 120, 1, cache_dir=tmp_path / "c")
    again = yosys.synth_modules(jobs, "xcup", tmp_path / "b", 120, 1, cache_dir=tmp_path / "c")
    assert first["add8"].counts == again["add8"].counts
    assert "cached" in again["add8"].notes and again["add8"].seconds == 0.0
    none = yosys.synth_modules(jobs, "xcup", tmp_path / "d", 0.5, 1, cache_dir=tmp_path / "e")
    assert none["add8"] is None  # no time left to start


def test_parts_and_families():
    assert yosys_family("xcvu13p-flga2577-2-e") == "xcup"
    assert yosys_family("xc7z020clg400-1") == "xc7"
    assert yosys_family("xcku115-flva1517-2-e") == "xcu"
    assert part_info("7z020clg400-1").lut == 53_200
    assert utilisation({"LUT": 17_280, "DSP": 0}, "xcvu13p-flga2577-2-e") == {"LUT": 1.0, "DSP": 0.0}
