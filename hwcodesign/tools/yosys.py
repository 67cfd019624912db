"""Yosys ``synth_xilinx``: open resource estimates (not post-route numbers).

Debian's yosys (0.23) works; ROM tables need ``proc; flatten; memory_map`` and must be
read from the folder holding their memory files.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..cache import ContentCache
from ..cache import cache_dir as cache_root
from ..errors import ConfigError, ToolNotFoundError
from .process import map_tools, run_logged
from .workdir import link_inputs, plain_workdir

__all__ = [
    "find",
    "version",
    "synth_xilinx",
    "synth_modules",
    "SynthResult",
    "parse_stat_json",
    "parse_stat_text",
    "categorise_cells",
]

INSTALL = "sudo apt-get install yosys  (part of `make install`)"

#: Xilinx primitive -> resource class as Vivado's utilisation report groups them.
_CLASSES = [
    (re.compile(r"^LUT[1-6](_2)?$"), "LUT"),
    (re.compile(r"^FD[CPRS]E(_1)?$"), "FF"),
    (re.compile(r"^CARRY(4|8)$"), "CARRY"),
    (re.compile(r"^DSP48E[12]$"), "DSP"),
    (re.compile(r"^RAMB18E[12]$"), "BRAM_18K"),
    (re.compile(r"^RAMB36E[12]$"), "BRAM_36K"),
    (re.compile(r"^URAM288(_BASE)?$"), "URAM"),
    (re.compile(r"^SRL(16E|C32E)$"), "SRL"),
    (re.compile(r"^MUXF[789]$"), "MUXF"),
    (re.compile(r"^RAM(32|64|128|256)(X1[SD]|M|M8|M16)$"), "LUTRAM"),
]


@dataclass(frozen=True)
class SynthResult:
    counts: dict[str, int]  # resource class -> count (BRAM_18K includes 2 per 36K)
    cells: dict[str, int]  # primitive -> count
    seconds: float
    timed_out: bool
    log_file: Path
    command: str
    notes: list[str] = field(default_factory=list)


def find() -> Path:
    exe = shutil.which("yosys")
    if exe is None:
        raise ToolNotFoundError(
            "yosys", "synth", INSTALL, "the report still has da4ml's LUT estimate and every other number"
        )
    return Path(exe)


@functools.cache
def version() -> str:
    out = subprocess.run([str(find()), "-V"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Yosys\s+(\S+)", out)
    return m.group(1) if m else out.strip()


def synth_xilinx(
    sources: Sequence[Path],
    top: str,
    family: str,
    workdir: Path,
    timeout_s: float | None = None,
    memory_dir: Path | None = None,
    flatten: bool = True,
    nodsp: bool = False,
    cancel: threading.Event | None = None,
    parameters: dict[str, int | str] | None = None,
    map_memories: bool = True,
) -> SynthResult:
    """Synthesise Verilog for a Xilinx family and count the primitives.

    Yosys runs in a private folder with a plain path: the sources and the ``$readmem``
    files of ``memory_dir`` are symlinked in and named relatively in a script file, so no
    path (spaces, quotes, ``;``) is ever parsed by Yosys. The log and the script are kept
    in ``workdir``. A timeout returns a result with ``timed_out`` and empty counts. With
    ``nodsp``, multipliers become LUT logic instead of DSP48 blocks (``synth_xilinx -nodsp``).
    ``parameters`` override the top's parameters (``chparam``; the sources are then read
    without ``-defer``, whose ``hierarchy -chparam`` trips an assertion of Yosys 0.23 on designs
    with parameterised submodules). With ``map_memories=False`` memories stay memories, so
    ``synth_xilinx`` infers LUTRAM/BRAM instead of flip-flops.

    Raises:
        ToolNotFoundError: yosys is not installed.
        ConfigError: a parameter name is not an identifier, or its value neither an integer nor a
            plain file name (a string parameter, e.g. a ``$readmemh`` file in ``memory_dir``).
        ToolError: yosys failed (log tail included).
    """
    sets = _chparam_sets(parameters or {})
    workdir.mkdir(parents=True, exist_ok=True)
    with plain_workdir("yosys") as wd:
        names = link_inputs(wd, list(sources), "src")
        for mem in sorted(memory_dir.glob("*")) if memory_dir else []:
            (wd / mem.name).symlink_to(mem.resolve())  # referenced by name from the Verilog
        script = _script(names, top, family, sets, flatten, nodsp, map_memories)
        (wd / "synth.ys").write_text(script + "\n")
        (workdir / f"{top}.ys").write_text(script + "\n")
        result = run_logged(
            "yosys",
            [find(), "-q", "-s", "synth.ys"],
            wd,
            workdir / f"{top}_yosys.log",
            timeout_s=timeout_s,
            cancel=cancel,
        )
        if result.timed_out:
            return SynthResult(
                {}, {}, result.seconds, True, result.log_file, script, [f"Yosys cut after {timeout_s:.0f} s"]
            )
        cells = parse_stat_json((wd / "stat.json").read_text(), top)
    return SynthResult(categorise_cells(cells), cells, result.seconds, False, result.log_file, script)


def _chparam_sets(parameters: dict[str, int | str]) -> list[str]:
    """``-set name value`` arguments of ``chparam``.

    Raises:
        ConfigError: a name that is not an identifier, or a value neither an integer nor a plain
            file name.
    """
    sets = []
    for name, value in parameters.items():
        plain = isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"[\w.+-]+", value, re.A))
        if not re.fullmatch(r"[A-Za-z_]\w*", name, re.A) or not plain:
            raise ConfigError(
                f"yosys parameter {name!r} = {value!r}: needs an identifier and an integer or a plain "
                "file name"
            )
        sets.append(f"-set {name} " + (f'"{value}"' if isinstance(value, str) else str(int(value))))
    return sets


def _script(
    names: list[str], top: str, family: str, sets: list[str], flatten: bool, nodsp: bool, map_memories: bool
) -> str:
    """The Yosys script: read (elaborating with parameters when given), synth_xilinx, stat."""
    if sets:
        elaborate = [
            *(f"read_verilog -sv {n}" for n in names),
            f"chparam {' '.join(sets)} {top}",
            f"hierarchy -check -top {top}",
            f"rename -top {top}",  # hierarchy names the re-derived top $paramod$...
        ]
    else:
        elaborate = [*(f"read_verilog -defer -sv {n}" for n in names), f"hierarchy -check -top {top}"]
    return "\n".join(
        [
            *elaborate,
            "proc",
            *(["flatten"] if flatten else []),
            *(["memory_map"] if map_memories else []),
            f"synth_xilinx -family {family} -top {top} -noiopad -noclkbuf"
            + (" -flatten" if flatten else "")
            + (" -nodsp" if nodsp else ""),
            "tee -q -o stat.json stat -json",
        ]
    )


def synth_modules(
    jobs: Sequence[tuple[str, Sequence[Path]]],
    family: str,
    workdir: Path,
    budget_s: float,
    workers: int,
    memory_dir: Path | None = None,
    cache_dir: Path | None = None,
    nodsp: bool = False,
) -> dict[str, SynthResult | None]:
    """Synthesise several modules (top name, sources) in parallel within one time budget.

    Results are cached by the content of the sources (and memory files) so an unchanged
    module is never synthesised twice. A module not finished within the budget maps to a
    result with ``timed_out``; one never started maps to None.
    """
    import hashlib
    import time

    cache = ContentCache(cache_dir or cache_root("yosys"))
    mem_files = sorted(memory_dir.glob("*")) if memory_dir else []
    deadline = time.monotonic() + budget_s

    def key(top: str, sources: Sequence[Path]) -> str:
        h = hashlib.sha256(f"{top}|{family}|{version()}{'|nodsp' if nodsp else ''}".encode())
        for p in [*sources, *mem_files]:
            h.update(p.name.encode())
            h.update(p.read_bytes())
        return h.hexdigest()[:20]

    def one(job: tuple[str, Sequence[Path]], cancel: threading.Event) -> tuple[str, SynthResult | None]:
        top, sources = job
        k = key(top, sources)
        hit = cache.lookup(k)
        if hit is not None:
            cells = json.loads((hit / "cells.json").read_text())
            return top, SynthResult(
                categorise_cells(cells), cells, 0.0, False, workdir / f"{top}_yosys.log", "cached", ["cached"]
            )
        left = deadline - time.monotonic()
        if left <= 1 or cancel.is_set():
            return top, None
        res = synth_xilinx(sources, top, family, workdir, left, memory_dir, nodsp=nodsp, cancel=cancel)
        if not res.timed_out:
            cache.get_or_make(k, lambda entry: (entry / "cells.json").write_text(json.dumps(res.cells)))
        return top, res

    return dict(map_tools(one, jobs, workers))


def parse_stat_json(text: str, top: str | None = None) -> dict[str, int]:
    """Primitive counts from ``stat -json`` (the design total, or the ``top`` module)."""
    data = json.loads(text)
    if "design" in data and "num_cells_by_type" in data["design"]:
        return {k: int(v) for k, v in data["design"]["num_cells_by_type"].items()}
    modules = data.get("modules", {})
    key = next((k for k in modules if k.lstrip("\\") == top), None) if top else None
    mod = modules[key] if key else next(iter(modules.values()))
    return {k: int(v) for k, v in mod.get("num_cells_by_type", {}).items()}


def parse_stat_text(text: str) -> dict[str, int]:
    """Primitive counts from yosys' text ``stat`` output (last 'Number of cells' block)."""
    blocks = text.split("Number of cells:")
    if len(blocks) < 2:
        return {}
    cells = {}
    for line in blocks[-1].splitlines()[1:]:
        m = re.match(r"^\s+(\S+)\s+(\d+)\s*$", line)
        if m:
            cells[m.group(1)] = int(m.group(2))
        elif line.strip() and cells:
            break
    return cells


def categorise_cells(cells: dict[str, int]) -> dict[str, int]:
    """Group primitives into LUT, FF, CARRY, DSP, BRAM_18K (36K counted twice), URAM, SRL..."""
    out: dict[str, int] = {}
    for name, n in cells.items():
        for pattern, cls in _CLASSES:
            if pattern.match(name.lstrip("\\$")):
                out[cls] = out.get(cls, 0) + n
                break
    if "BRAM_36K" in out:
        out["BRAM_18K"] = out.get("BRAM_18K", 0) + 2 * out.pop("BRAM_36K")
    for cls in ("LUT", "FF", "DSP", "BRAM_18K"):
        out.setdefault(cls, 0)
    return out
