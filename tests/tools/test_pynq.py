"""Hardware handoff files of real PYNQ / finn-plus bitstreams (tests/fixtures, BSD-3-Clause)."""

from pathlib import Path

from hwcodesign.tools.pynq import parse_hwh

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_pynq_z2_resizer_overlay():
    r = parse_hwh((FIX / "pynq" / "pynq_helloworld_resizer_pynqz2_vivado2019.1.hwh").read_text())
    assert (r["vivado"], r["device"], r["package"], r["arch"]) == ("2019.1", "7z020", "clg400", "zynq")
    assert r["board"] is None
    types = {ip["type"] for ip in r["ips"]}
    assert {"axi_dma", "processing_system7", "resize_accel"} <= types
    ps = next(ip for ip in r["ips"] if ip["type"] == "processing_system7")
    assert ps["programmable_logic"] is False
    assert r["pl_clocks_mhz"]["fclk0"] == 100.0


def test_finn_plus_zcu104_accelerator():
    r = parse_hwh((FIX / "finn" / "finnplus_metafi_zcu104" / "bitfile" / "finn-accel.hwh").read_text())
    assert r["device"] == "xczu7ev" and r["board"] == "xilinx.com:zcu104:part0:1.1"
    instances = {ip["instance"] for ip in r["ips"]}
    assert {"idma0", "odma0", "zynq_ps"} <= instances
    assert r["pl_clocks_mhz"]["fclk0"] == 100.0
