"""AMD/Xilinx vendor tools (vitis_hls, vivado_hls, vivado): discovery and report parsers.

The tools are optional: every step works without them, and they are used when found on
PATH. The parsers are pure text -> dict functions (numbers as numbers, never strings),
tested on real reports in tests/fixtures/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import ToolNotFoundError

__all__ = [
    "find",
    "available",
    "version",
    "parse_csynth_xml",
    "parse_csynth_rpt",
    "parse_cosim_rpt",
    "parse_utilization_rpt",
    "parse_utilization_xml",
    "normalise_tool_name",
]

INSTALL = (
    "install AMD Vivado/Vitis (2020.1 or newer) and source its settings64.sh so that "
    "vitis_hls / vivado are on PATH"
)
_TOOLS = ("vitis_hls", "vivado_hls", "vivado")


def available() -> dict[str, Path]:
    """The vendor tools found on PATH (name -> path)."""
    return {t: Path(p) for t in _TOOLS if (p := shutil.which(t))}


def find(tool: str, step: str) -> Path:
    """Path of a vendor tool.

    Raises:
        ToolNotFoundError: naming the step and what still works without it.
    """
    path = shutil.which(tool)
    if path is None:
        raise ToolNotFoundError(
            tool, step, INSTALL, "Verilator latency, Yosys/da4ml resource estimates still work"
        )
    return Path(path)


def version(tool: str) -> str:
    out = subprocess.run(
        [str(find(tool, "synth")), "-version"], capture_output=True, text=True, timeout=120
    ).stdout
    m = re.search(r"v?(\d{4}\.\d(?:\.\d)?)", out)
    return m.group(1) if m else out.strip().splitlines()[0]


def normalise_tool_name(title: str) -> str:
    """'Vivado HLS' / 'Vitis HLS' / 'vivado_hls' -> 'vivado_hls' / 'vitis_hls'."""
    t = title.lower().replace(" ", "_")
    return "vitis_hls" if "vitis" in t else "vivado_hls" if "hls" in t else t


def _num(text: str | None) -> float | int | None:
    """'5.00' -> 5.0, '15' -> 15, '~0' -> 0, '-'/'NA'/'' -> None; strips units like 'ns'."""
    if text is None:
        return None
    t = text.strip().replace(",", "")
    t = re.sub(r"\s*(ns|us|ms|%)$", "", t)
    if t.startswith("~"):
        t = t[1:]
    if t in ("", "-", "NA", "N/A"):
        return None
    try:
        v = float(t)
    except ValueError:
        return None
    return int(v) if v.is_integer() and "." not in t else v


def _time_ns(text: str | None) -> float | None:
    """'75.000 ns' -> 75.0, '1.975 us' -> 1975.0."""
    if not text:
        return None
    m = re.match(r"\s*([\d.]+)\s*(ns|us|ms)?", text)
    if not m:
        return None
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, None: 1.0}[m.group(2)]
    return float(m.group(1)) * scale


def parse_csynth_xml(text: str) -> dict:
    """HLS C-synthesis XML (``<top>_csynth.xml``), Vivado HLS 2018.2 .. Vitis HLS 2024.1.

    Returns version, part, top, clock (target/estimated/uncertainty ns), latency and
    interval (cycles), pipeline type, and resources/available with DSP48E named DSP.
    """
    root = ET.fromstring(text)

    def get(path: str) -> str | None:
        el = root.find(path)
        return el.text.strip() if el is not None and el.text else None

    lat = "PerformanceEstimates/SummaryOfOverallLatency/"
    out = {
        "version": get("ReportVersion/Version"),
        "part": get("UserAssignments/Part"),
        "top": get("UserAssignments/TopModelName"),
        "target_clock_ns": _num(get("UserAssignments/TargetClockPeriod")),
        "clock_uncertainty_ns": _num(get("UserAssignments/ClockUncertainty")),
        "estimated_clock_ns": _num(get("PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod")),
        "pipeline_type": get("PerformanceEstimates/PipelineType"),
        "latency_best_cycles": _num(get(lat + "Best-caseLatency")),
        "latency_avg_cycles": _num(get(lat + "Average-caseLatency")),
        "latency_worst_cycles": _num(get(lat + "Worst-caseLatency")),
        "latency_worst_ns": _time_ns(get(lat + "Worst-caseRealTimeLatency")),
        "interval_min_cycles": _num(get(lat + "Interval-min")),
        "interval_max_cycles": _num(get(lat + "Interval-max")),
        "resources": _resources(root.find("AreaEstimates/Resources")),
        "available": _resources(root.find("AreaEstimates/AvailableResources")),
    }
    if out["latency_worst_ns"] is None and out["latency_worst_cycles"] is not None and out["target_clock_ns"]:
        out["latency_worst_ns"] = out["latency_worst_cycles"] * out["target_clock_ns"]
    return out


def _resources(el) -> dict[str, int]:
    if el is None:
        return {}
    res = {}
    for child in el:
        name = "DSP" if child.tag.startswith("DSP") else child.tag
        value = _num(child.text)
        if value is not None:
            res[name] = int(value)
    return res


def _header_fields(text: str, pattern: str, labels: dict[str, str]) -> dict[str, str]:
    """key -> value of report header lines; ``pattern`` has a ``{label}`` slot and one group."""
    out = {}
    for key, label in labels.items():
        m = re.search(pattern.format(label=re.escape(label)), text, re.M)
        if m:
            out[key] = m.group(1).strip()
    return out


def parse_csynth_rpt(text: str) -> dict:
    """HLS C-synthesis text report (``<top>_csynth.rpt``), Vivado HLS or Vitis HLS."""
    out: dict = {}
    m = re.search(r"==\s*(Vivado HLS|Vitis HLS) Report for '([^']+)'", text)
    if m:
        out["tool"], out["top"] = normalise_tool_name(m.group(1)), m.group(2)
    labels = {
        "version": "Version",
        "solution": "Solution",
        "family": "Product family",
        "part": "Target device",
    }
    for key, value in _header_fields(text, r"^\* {label}:\s+(.+)$", labels).items():
        out[key] = value.split()[0] if key in ("version", "solution") else value
    m = re.search(r"^\s*\|ap_clk\s*\|([^|]+)\|([^|]+)\|([^|]+)\|", text, re.M)
    if m:
        out["target_clock_ns"], out["estimated_clock_ns"], out["clock_uncertainty_ns"] = (
            _num(g) for g in m.groups()
        )
    lat = text.split("+ Latency", 1)[1] if "+ Latency" in text else ""
    rows = [
        r
        for r in re.findall(r"^\s*\|([^\n]*)\|\s*$", lat.split("+ Detail", 1)[0], re.M)
        if re.search(r"\d", r)
    ]
    if rows:
        cells = [c.strip() for c in rows[0].split("|")]
        if len(cells) >= 7:  # cycles min/max, absolute min/max, interval min/max, type
            out["latency_min_cycles"], out["latency_max_cycles"] = _num(cells[0]), _num(cells[1])
            out["latency_max_ns"] = _time_ns(cells[3])
            out["interval_min_cycles"], out["interval_max_cycles"] = _num(cells[4]), _num(cells[5])
        elif len(cells) >= 5:  # Vivado HLS 2018: min/max, interval min/max, type
            out["latency_min_cycles"], out["latency_max_cycles"] = _num(cells[0]), _num(cells[1])
            out["interval_min_cycles"], out["interval_max_cycles"] = _num(cells[2]), _num(cells[3])
        out["pipeline_type"] = cells[-1]
    util = text.split("== Utilization Estimates", 1)[1] if "== Utilization Estimates" in text else ""
    header = re.search(r"^\|\s*Name\s*\|(.+)\|\s*$", util, re.M)
    if header:
        names = ["DSP" if h.strip().startswith("DSP") else h.strip() for h in header.group(1).split("|")]
        for row_name, key in (("Total", "resources"), ("Available", "available")):
            m = re.search(rf"^\|{row_name}\s*\|(.+)\|\s*$", util, re.M)
            if m:
                vals = [_num(v) for v in m.group(1).split("|")]
                out[key] = {n: int(v) for n, v in zip(names, vals, strict=False) if v is not None}
    return out


def parse_cosim_rpt(text: str) -> dict:
    """HLS C/RTL co-simulation report: per RTL language, status and latency/interval
    min/avg/max in cycles (None where the report says NA)."""
    out: dict = {}
    m = re.search(r"Simulation tool\s*:\s*(\S+?)\.?$", text, re.M)
    if m:
        out["simulator"] = m.group(1)
    results = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 8 and cells[0].lower() in ("vhdl", "verilog"):
            nums = [_num(c) for c in cells[2:8]]
            results[cells[0].lower()] = {
                "status": cells[1],
                "latency_min_cycles": nums[0],
                "latency_avg_cycles": nums[1],
                "latency_max_cycles": nums[2],
                "interval_min_cycles": nums[3],
                "interval_avg_cycles": nums[4],
                "interval_max_cycles": nums[5],
            }
            if len(cells) >= 9:
                results[cells[0].lower()]["total_execution_cycles"] = _num(cells[8])
    out["rtl"] = results
    return out


_UTIL_ROWS = {
    "LUT": ("CLB LUTs", "Slice LUTs"),
    "FF": ("CLB Registers", "Slice Registers"),
    "BRAM_TILE": ("Block RAM Tile",),
    "URAM": ("URAM",),
    "DSP": ("DSPs",),
}


def parse_utilization_rpt(text: str) -> dict:
    """Vivado ``report_utilization`` (7-series and UltraScale+ layouts, 2020.1 .. 2024.1).

    Returns tool version, device, design state, and per resource used/available counts
    (BRAM also as 18K-block equivalents, two per tile)."""
    out: dict = {}
    labels = {"version": "Tool Version", "device": "Device", "design": "Design", "state": "Design State"}
    out.update(_header_fields(text, r"^\|\s*{label}\s*:\s*(.+?)\s*$", labels))
    if "version" in out:
        m = re.search(r"v\.?(\d{4}\.\d)", out["version"])
        out["version"] = m.group(1) if m else out["version"]
    used, avail = {}, {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4:
            continue
        name = cells[0].rstrip("*").strip()
        for key, labels in _UTIL_ROWS.items():
            if name in labels and key not in used:
                nums = [_num(c) for c in cells[1:]]
                if nums[0] is None:
                    continue
                used[key] = nums[0]
                # columns: Used | Fixed | [Prohibited |] Available | Util%
                avail[key] = nums[-2] if len(nums) >= 4 else None
    if "BRAM_TILE" in used:
        used["BRAM_18K"] = used["BRAM_TILE"] * 2
        if avail.get("BRAM_TILE") is not None:
            avail["BRAM_18K"] = avail["BRAM_TILE"] * 2
    out["used"] = used
    out["available"] = avail
    return out


_XML_COLUMNS = {
    "Total LUTs": "LUT",
    "Logic LUTs": "LUT_logic",
    "LUTRAMs": "LUTRAM",
    "SRLs": "SRL",
    "FFs": "FF",
    "RAMB36": "BRAM_36K",
    "RAMB18": "BRAM_18K",
    "URAM": "URAM",
    "DSP Blocks": "DSP",
}


def parse_utilization_xml(text: str) -> dict:
    """Vivado ``report_utilization -hierarchical -format xml``: one row per instance with
    its depth in the hierarchy and numeric resource columns."""
    root = ET.fromstring(text)
    out: dict = {
        "design": root.get("designname"),
        "part": root.get("partname"),
        "state": root.get("designstate"),
        "rows": [],
    }
    for table in root.iter("table"):
        header: list[str] = []
        for row in table.iter("tablerow"):
            heads = [h.get("contents", "") for h in row.iter("tableheader")]
            if heads:
                header = heads
                continue
            cells = [c.get("contents", "") for c in row.iter("tablecell")]
            if not header or len(cells) != len(header):
                continue
            inst = cells[0]
            entry = {
                "instance": inst.strip(),
                "depth": (len(inst) - len(inst.lstrip(" "))) // 2,
                "module": cells[1].strip(),
            }
            for name, value in zip(header[2:], cells[2:], strict=True):
                entry[_XML_COLUMNS.get(name, name)] = _num(value)
            out["rows"].append(entry)
    return out
