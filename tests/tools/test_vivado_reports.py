"""Vendor report parsers on real reports from public projects (tests/fixtures/SOURCES.md)."""

from pathlib import Path

import pytest

from hwcodesign.tools.vivado import (
    normalise_tool_name,
    parse_cosim_rpt,
    parse_csynth_rpt,
    parse_csynth_xml,
    parse_utilization_rpt,
)

FIX = Path(__file__).resolve().parents[1] / "fixtures"

# (folder, version, part, latency cycles, II, LUT, FF, DSP, BRAM_18K, estimated clock)
CSYNTH = [
    (
        "hls4ml_galapagos_vivadohls2018.2_xcku115",
        "2018.2",
        "xcku115-flva1517-2-e",
        14,
        1,
        21809,
        43219,
        792,
        18,
        4.168,
    ),
    (
        "hls4ml_testreport_vivadohls2020.1_xc7z020",
        "2020.1",
        "xc7z020-clg400-1",
        10,
        8,
        2532,
        7969,
        73,
        0,
        4.049,
    ),
    (
        "l1jetid_deepsets_vivadohls2020.1_xcvu13p",
        "2020.1",
        "xcvu13p-flga2577-2-e",
        19,
        2,
        518548,
        56865,
        71,
        4,
        4.375,
    ),
    (
        "nrp_hls4ml_vitishls2022.2_xcu250",
        "2022.2",
        "xcu250-figd2104-2L-e",
        15,
        1,
        116694,
        24233,
        2557,
        8,
        3.636,
    ),
]


@pytest.mark.parametrize("folder,ver,part,lat,ii,lut,ff,dsp,bram,clk", CSYNTH)
def test_csynth_xml(folder, ver, part, lat, ii, lut, ff, dsp, bram, clk):
    r = parse_csynth_xml((FIX / "vivado_hls" / folder / "myproject_csynth.xml").read_text())
    assert (r["version"], r["part"], r["top"]) == (ver, part, "myproject")
    assert r["latency_worst_cycles"] == lat and r["interval_min_cycles"] == ii
    assert r["estimated_clock_ns"] == clk and r["target_clock_ns"] == 5.0
    assert r["resources"]["LUT"] == lut and r["resources"]["FF"] == ff
    assert r["resources"]["DSP"] == dsp and r["resources"]["BRAM_18K"] == bram
    assert r["latency_worst_ns"] == pytest.approx(lat * 5.0)
    assert all(isinstance(v, int) for v in r["resources"].values())


@pytest.mark.parametrize("folder,ver,part,lat,ii,lut,ff,dsp,bram,clk", CSYNTH)
def test_csynth_rpt_agrees_with_xml(folder, ver, part, lat, ii, lut, ff, dsp, bram, clk):
    r = parse_csynth_rpt((FIX / "vivado_hls" / folder / "myproject_csynth.rpt").read_text())
    assert r["version"] == ver and r["part"] == part and r["top"] == "myproject"
    assert r["latency_max_cycles"] == lat and r["interval_min_cycles"] == ii
    assert r["estimated_clock_ns"] == clk
    assert r["resources"]["LUT"] == lut and r["resources"]["DSP"] == dsp
    assert r["tool"] == ("vitis_hls" if "vitis" in folder else "vivado_hls")


def test_cosim_report_with_na_latency():
    r = parse_cosim_rpt(
        (FIX / "vivado_hls" / "l1jetid_deepsets_vivadohls2020.1_xcvu13p" / "myproject_cosim.rpt").read_text()
    )
    assert r["simulator"] == "xsim"
    assert r["rtl"]["verilog"]["status"] == "Pass"
    assert r["rtl"]["verilog"]["latency_max_cycles"] is None  # "NA" in the report
    assert r["rtl"]["vhdl"]["status"] == "NA"


def test_cosim_report_vitis_2024_layout():
    # the 2024.1 layout (9 columns, "(Clock Cycles)" headers) described in SOURCES.md
    text = """
+----------+----------+-----------------------------------------------+-----------------------------------------------+----------------------+
|          |          |             Latency(Clock Cycles)             |              Interval(Clock Cycles)           | Total Execution Time |
+   RTL    +  Status  +-----------------------------------------------+-----------------------------------------------+    (Clock Cycles)    +
|          |          |      min      |      avg      |      max      |      min      |      avg      |      max      |                      |
+----------+----------+-----------------------------------------------+-----------------------------------------------+----------------------+
|      VHDL|        NA|             NA|             NA|             NA|             NA|             NA|             NA|                    NA|
|   Verilog|      Pass|             15|             15|             15|             NA|             NA|             NA|                    16|
+----------+----------+-----------------------------------------------+-----------------------------------------------+----------------------+
"""
    r = parse_cosim_rpt(text)["rtl"]["verilog"]
    assert r["latency_min_cycles"] == 15 and r["interval_min_cycles"] is None
    assert r["total_execution_cycles"] == 16


@pytest.mark.parametrize(
    "name,device,lut,ff,dsp,bram18,avail_lut",
    [
        ("hls4ml_testreport_vivado2020.1_xc7z020_synth.rpt", "7z020clg400-1", 1526, 2428, 66, 0, 53200),
        (
            "l1jetid_deepsets_vivado2020.1_xcvu13p_synth.rpt",
            "xcvu13pflga2577-2",
            235359,
            90190,
            101,
            4,
            1728000,
        ),
    ],
)
def test_utilization_report(name, device, lut, ff, dsp, bram18, avail_lut):
    r = parse_utilization_rpt((FIX / "vivado" / name).read_text())
    assert r["version"] == "2020.1" and r["device"] == device and r["state"] == "Synthesized"
    assert r["used"]["LUT"] == lut and r["used"]["FF"] == ff
    assert r["used"]["DSP"] == dsp and r["used"]["BRAM_18K"] == bram18
    assert r["available"]["LUT"] == avail_lut


def test_utilization_report_with_prohibited_column():
    text = """| Tool Version : Vivado v.2024.1 (lin64) Build 5076996 Wed May 22 18:36:09 MDT 2024
| Device       : xcu250-figd2104-2L-e
| Design State : Routed
+-------------------+--------+-------+------------+-----------+-------+
|     Site Type     |  Used  | Fixed | Prohibited | Available | Util% |
+-------------------+--------+-------+------------+-----------+-------+
| CLB LUTs          | 116000 |     0 |          0 |   1728000 |  6.71 |
| CLB Registers     |  24000 |     0 |          0 |   3456000 |  0.69 |
| Block RAM Tile    |    4.5 |     0 |          0 |      2688 |  0.17 |
| DSPs              |   2557 |     0 |          0 |     12288 | 20.81 |
"""
    r = parse_utilization_rpt(text)
    assert r["version"] == "2024.1" and r["state"] == "Routed"
    assert r["used"] == {"LUT": 116000, "FF": 24000, "BRAM_TILE": 4.5, "DSP": 2557, "BRAM_18K": 9.0}
    assert r["available"]["LUT"] == 1728000 and r["available"]["DSP"] == 12288


def test_tool_names():
    assert normalise_tool_name("Vivado HLS") == "vivado_hls"
    assert normalise_tool_name("Vitis HLS") == "vitis_hls"
