"""finn-plus report parsers on a real build output (tests/fixtures/finn, BSD-3-Clause)."""

from pathlib import Path

from hwcodesign.backends.finn.reports import (
    parse_estimate_reports,
    parse_post_synth_resources,
    parse_time_per_step,
)

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "finn" / "finnplus_metafi_zcu104"


def test_estimate_reports():
    r = parse_estimate_reports(FIX / "report")
    names = [row["layer"] for row in r["layers"]]
    assert names[:3] == ["FMPadding_rtl_0", "ConvolutionInputGenerator_rtl_0", "MVAU_hls_0"]
    mvau = next(row for row in r["layers"] if row["layer"] == "MVAU_hls_0")
    assert mvau["cycles"] == 2663424 and mvau["LUT"] == 402 and mvau["BRAM_18K"] == 1
    assert r["network"]["max_cycles_node_name"] == "MVAU_hls_1"
    assert r["network"]["max_cycles"] == 9469952
    assert abs(r["network"]["estimated_throughput_fps"] - 10.5597) < 1e-3
    # the HLS report keeps numbers as strings in the file; parsed, they are numbers
    assert r["hls"]["MVAU_hls_0"] == {
        "BRAM_18K": 0,
        "FF": 1840,
        "LUT": 4342,
        "DSP48E": 0,
        "URAM": 0,
        "DSP": 1,
    }
    assert isinstance(r["total"]["LUT"], int | float)


def test_time_per_step_and_post_synth():
    t = parse_time_per_step((FIX / "time_per_step.json").read_text())
    assert all(isinstance(v, float) for v in t.values()) and len(t) > 5
    res = parse_post_synth_resources((FIX / "report" / "post_synth_resources.json").read_text())
    assert res["(top)"]["LUT"] == 127936 and res["(top)"]["DSP"] == 536
    assert res["(top)"]["BRAM_36K"] == 119


def test_op_counts_and_alternatives():
    r = parse_estimate_reports(FIX / "report")
    assert r["ops_and_params"]["MVAU_hls_0"] == {
        "op_mac_6bx7b": 2663424,
        "param_weight_6b": 288,
        "param_threshold_15b": 32,
    }
    alts = r["alternatives"]["ConvolutionInputGenerator_rtl_0"]
    assert len(alts) >= 2 and {a["LUT"] for a in alts[:2]} == {300, 356}


def test_post_synth_utilization_xml():
    from hwcodesign.tools.vivado import parse_utilization_xml

    r = parse_utilization_xml((FIX / "report" / "post_synth_resources.xml").read_text())
    assert r["part"] == "xczu7ev-ffvc1156-2-e" and r["state"] == "Physopt postRoute"
    top = r["rows"][0]
    assert top["depth"] == 0 and top["LUT"] == 127936 and top["FF"] == 126020
    assert top["BRAM_36K"] == 119 and top["BRAM_18K"] == 29 and top["DSP"] == 536 and top["SRL"] == 17610
    # the JSON report of the same build agrees with the XML
    js = parse_post_synth_resources((FIX / "report" / "post_synth_resources.json").read_text())
    assert js["(top)"]["LUT"] == top["LUT"] and js["(top)"]["DSP"] == top["DSP"]
    assert any(row["depth"] >= 2 for row in r["rows"])
