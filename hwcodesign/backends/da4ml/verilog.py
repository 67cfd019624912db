"""Simulation-only rewrite of da4ml's Verilog: operator instances become plain ``assign``s.

da4ml writes every adder, mux, negation and multiplier as an instance of a parametrised
module (``shift_adder #(...) op_12 (a, b, y);``): tens of thousands of instances, each
elaborated and inlined by Verilator, which dominates its build time. The rewrite emits
the same arithmetic as one ``assign`` per operator, following the module definitions in
``da4ml/codegen/rtl/verilog/source/*.v``. Instances it cannot prove equivalent (unknown
argument forms, out-of-range slices) are left untouched. Synthesis always uses the
original files; the bit-exactness checks of the rtl step cover the rewrite.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["flatten_operators", "flatten_file"]

_INSTANCE = re.compile(
    r"^(?P<decl>\s*wire\s*\[\d+:\d+\]\s*\w+;)\s*"
    r"(?P<mod>shift_adder|mux|negative|multiplier)\s*#\((?P<params>[^)]*)\)\s*\w+\s*"
    r"\((?P<args>[^;]*)\);\s*$"
)
_SLICE = re.compile(r"^(\w+)\[(\d+)(?::(\d+))?\]$")
_BINARY = re.compile(r"^(\d+)'b([01]+)$")


def _msb(arg: str) -> str | None:
    """Expression of the most significant bit of an argument, or None if unknown."""
    m = _SLICE.match(arg)
    if m:
        return f"{m.group(1)}[{m.group(2)}]"
    m = _BINARY.match(arg)
    if m:
        return f"1'b{m.group(2).zfill(int(m.group(1)))[0]}"
    return None


def _width(arg: str) -> int | None:
    m = _SLICE.match(arg)
    if m:
        return int(m.group(2)) - int(m.group(3) if m.group(3) is not None else m.group(2)) + 1
    m = _BINARY.match(arg)
    return int(m.group(1)) if m else None


def _extend(arg: str, signed: int, left: int, right: int) -> str | None:
    """``{{left{sign or 0}}, arg, {right{0}}}`` without zero-length parts."""
    if left < 0 or right < 0:
        return None
    parts = []
    if left:
        fill = _msb(arg) if signed else "1'b0"
        if fill is None:
            return None
        parts.append(f"{{{left}{{{fill}}}}}")
    parts.append(arg)
    if right:
        parts.append(f"{right}'b0")
    return parts[0] if len(parts) == 1 else "{" + ", ".join(parts) + "}"


def _padded_pair(bw0, bw1, s0, s1, shift, extra, plus_one):
    need0 = bw0 - shift if shift < 0 else bw0
    need1 = bw1 + shift if shift > 0 else bw1
    pad = (extra + 1) if s0 != s1 else extra
    width = max(need0, need1) + pad + plus_one
    left0 = width - bw0 + shift if shift < 0 else width - bw0
    right0 = -shift if shift < 0 else 0
    left1 = width - bw1 - shift if shift > 0 else width - bw1
    right1 = shift if shift > 0 else 0
    return width, (left0, right0), (left1, right1)


def _rewrite(mod: str, p: list[int], args: list[str]) -> str | None:
    """The ``assign`` equivalent to one operator instance, or None to keep the instance."""
    if mod == "shift_adder":
        bw0, bw1, s0, s1, bwo, shift, sub = p
        a, b, y = args
        width, (l0, r0), (l1, r1) = _padded_pair(bw0, bw1, s0, s1, shift, sub, 1)
        e0, e1 = _extend(a, s0, l0, r0), _extend(b, s1, l1, r1)
        if e0 is None or e1 is None or bwo > width:
            return None
        return f"assign {y} = {e0} {'-' if sub else '+'} {e1};"
    if mod == "mux":
        bw0, bw1, s0, s1, bwo, shift, inv = p
        key, a, b, y = args
        width, (l0, r0), (l1, r1) = _padded_pair(bw0, bw1, s0, s1, shift, inv, 0)
        e0, e1 = _extend(a, s0, l0, r0), _extend(b, s1, l1, r1)
        if e0 is None or e1 is None or bwo > width or _width(key) != 1:
            return None
        # the module cuts both branches to the output width first; in an assignment the
        # low output bits are the same either way (two's complement arithmetic)
        return f"assign {y} = {key} ? {e0} : {'-' if inv else ''}{e1};"
    if mod == "negative":
        bw_in, bwo, signed = p
        a, y = args
        if bw_in < bwo:
            e = _extend(a, signed, bwo - bw_in, 0)
            return None if e is None else f"assign {y} = -{e};"
        return f"assign {y} = -{a};" if _width(a) == bw_in else None
    if mod == "multiplier":
        bw0, bw1, s0, s1, bwo = p
        a, b, y = args
        if bwo > bw0 + bw1 or _width(a) != bw0 or _width(b) != bw1:
            return None
        x0 = f"$signed({a})" if s0 else (f"$signed({{1'b0, {a}}})" if s1 else a)
        x1 = f"$signed({b})" if s1 else (f"$signed({{1'b0, {b}}})" if s0 else b)
        # assignment context: operands are extended to at least the output width first,
        # so the low output bits of the product are exact, as in the module's buffer
        return f"assign {y} = {x0} * {x1};"
    return None


def flatten_operators(text: str) -> tuple[str, int, int]:
    """Rewrite one Verilog file; returns (new text, instances rewritten, instances kept)."""
    out, done, kept = [], 0, 0
    for line in text.splitlines():
        m = _INSTANCE.match(line)
        if not m:
            out.append(line)
            continue
        params = [int(v) for v in m.group("params").split(",")]
        args = [a.strip() for a in m.group("args").split(",")]
        new = None if any("{" in a for a in args) else _rewrite(m.group("mod"), params, args)
        if new is None:
            out.append(line)
            kept += 1
        else:
            out.append(f"{m.group('decl')} {new}")
            done += 1
    return "\n".join(out) + "\n", done, kept


def flatten_file(src: Path, dst: Path) -> tuple[int, int]:
    text, done, kept = flatten_operators(src.read_text())
    dst.write_text(text)
    return done, kept
