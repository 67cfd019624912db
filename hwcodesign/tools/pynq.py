"""PYNQ boards: parse the hardware handoff (``.hwh``) a bitstream build leaves, which says
what the overlay holds (device, board, IP instances, PL clocks). Running on a board needs
one (``pynq`` raises "No Devices Found" elsewhere); this module only reads files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

__all__ = ["parse_hwh"]


def parse_hwh(text: str) -> dict:
    """Device, board, Vivado version, IP instances and actual PL clock frequencies (MHz)."""
    root = ET.fromstring(text.lstrip("\ufeff"))
    info = root.find("SYSTEMINFO")
    sys_attr = info.attrib if info is not None else {}
    ips = []
    for mod in root.iter("MODULE"):
        ips.append(
            {
                "instance": mod.get("INSTANCE"),
                "type": mod.get("MODTYPE"),
                "vlnv": mod.get("VLNV"),
                "programmable_logic": mod.get("IS_PL", "TRUE") != "FALSE",
            }
        )
    clocks: dict[str, float] = {}
    for p in root.iter("PARAMETER"):
        name = p.get("NAME", "")
        m = re.fullmatch(r"PCW_ACT_FPGA(\d)_PERIPHERAL_FREQMHZ", name) or re.fullmatch(
            r"PSU__CRL_APB__PL(\d)_REF_CTRL__ACT_FREQMHZ", name
        )
        if m and f"fclk{m.group(1)}" not in clocks:
            clocks[f"fclk{m.group(1)}"] = float(p.get("VALUE", "nan"))
    return {
        "vivado": root.get("VIVADOVERSION"),
        "device": sys_attr.get("DEVICE"),
        "package": sys_attr.get("PACKAGE"),
        "speedgrade": sys_attr.get("SPEEDGRADE"),
        "arch": sys_attr.get("ARCH"),
        "board": sys_attr.get("BOARD"),
        "ips": ips,
        "pl_clocks_mhz": clocks,
    }
