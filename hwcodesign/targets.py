"""FPGA parts: device family (for Yosys) and available resources (for utilisation %).

Numbers are from the vendor product tables (CLB LUTs, CLB flip-flops, DSP slices, block
RAM in 18 Kb units, UltraRAM blocks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ConfigError

__all__ = ["PartInfo", "part_info", "yosys_family", "utilisation"]


@dataclass(frozen=True)
class PartInfo:
    device: str
    family: str  # yosys synth_xilinx -family
    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int = 0

    def available(self) -> dict[str, int]:
        return {"LUT": self.lut, "FF": self.ff, "DSP": self.dsp, "BRAM_18K": self.bram_18k, "URAM": self.uram}


_PARTS = {
    "xcvu13p": PartInfo("xcvu13p", "xcup", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
    "xcvu9p": PartInfo("xcvu9p", "xcup", 1_182_240, 2_364_480, 6_840, 4_320, 960),
    "xcu250": PartInfo("xcu250", "xcup", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
    "xczu7ev": PartInfo("xczu7ev", "xcup", 230_400, 460_800, 1_728, 624, 96),
    "xczu3eg": PartInfo("xczu3eg", "xcup", 70_560, 141_120, 360, 432, 0),
    "xczu9eg": PartInfo("xczu9eg", "xcup", 274_080, 548_160, 2_520, 1_824, 0),
    "xcku115": PartInfo("xcku115", "xcu", 663_360, 1_326_720, 5_520, 4_320, 0),
    "xck26": PartInfo("xck26", "xcup", 117_120, 234_240, 1_248, 288, 64),  # Kria K26 SOM, DS987
    "xc7z020": PartInfo("xc7z020", "xc7", 53_200, 106_400, 220, 280, 0),
    "xc7z010": PartInfo("xc7z010", "xc7", 17_600, 35_200, 80, 120, 0),
}


def _device(part: str) -> str:
    """'xcvu13p-flga2577-2-e' -> 'xcvu13p'; also accepts '7z020clg400-1' style names."""
    p = part.lower()
    if not p.startswith("xc"):
        p = "xc" + p
    m = re.match(r"(xc[a-z0-9]+?)(?:-|clg|ffvb|ffvc|ffva|flga|flgb|figd|sbva|sfvc|fbg|$)", p)
    return m.group(1) if m else p.split("-")[0]


def part_info(part: str) -> PartInfo:
    """Resources of a part.

    Raises:
        ConfigError: the part is not in the table (the message lists the known devices).
    """
    dev = _device(part)
    if dev not in _PARTS:
        raise ConfigError(f"unknown FPGA part '{part}' (device '{dev}'); known devices: {', '.join(_PARTS)}")
    return _PARTS[dev]


def yosys_family(part: str) -> str:
    """Yosys ``synth_xilinx -family`` for a part (xcup, xcu, xc7)."""
    dev = _device(part)
    if dev in _PARTS:
        return _PARTS[dev].family
    if dev.startswith(("xczu", "xcu2", "xcu5")) or re.match(r"xc(vu|ku)\d+p$", dev):
        return "xcup"
    if dev.startswith(("xcvu", "xcku")):
        return "xcu"
    if dev.startswith("xc7"):
        return "xc7"
    raise ConfigError(f"cannot tell the Yosys family of part '{part}'")


def utilisation(counts: dict[str, float | int | None], part: str) -> dict[str, float]:
    """Percent of the part used, for the resources the part table knows."""
    avail = part_info(part).available()
    return {
        k: round(100.0 * v / avail[k], 4)
        for k, v in counts.items()
        if k in avail and avail[k] and v is not None
    }
