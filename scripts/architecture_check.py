"""Check the package's shape: import cycles, imports that go up the layers, long functions.

    .venv/bin/python scripts/architecture_check.py        # prints the three lists, exit 1 if any

Every ``import`` / ``from ... import`` inside ``hwcodesign`` counts, at any depth (function
bodies and ``TYPE_CHECKING`` blocks included). Layers, lowest first; a module may import
its own layer and the ones below, never one above:
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "hwcodesign"
PACKAGE = "hwcodesign"

#: Top-level modules / subpackages of hwcodesign by layer (lowest first).
LAYERS: list[tuple[str, ...]] = [
    ("errors", "registry", "records", "config_base", "plan", "environment", "locks", "families"),
    ("tools", "targets", "cache", "boards", "frameworks", "hls"),
    ("config",),
    ("run",),
    ("data", "train", "report", "backends", "kernels", "deploy", "artifacts"),
    ("models",),
    ("steps",),
    ("flows",),
    ("dse",),
    ("api",),
    ("cli", "__main__", "__init__"),
]
MAX_FUNCTION_LINES = 80

__doc__ += "\n".join(f"    {i}: {', '.join(names)}" for i, names in enumerate(LAYERS)) + "\n"


def modules() -> dict[str, Path]:
    """Every module of the package, ``hls/`` included (installed as ``hwcodesign.hls``)."""
    out = {}
    for base, prefix in ((ROOT, [PACKAGE]), (ROOT.parent / "hls", [PACKAGE, "hls"])):
        for p in sorted(base.rglob("*.py")):
            parts = prefix + list(p.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


def import_edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods]
                targets = subs or [target]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                while t and t not in mods and "." in t:
                    t = t.rsplit(".", 1)[0]
                if t in mods and t != name and t.startswith(PACKAGE):
                    edges[name].add(t)
    return edges


def cycles(edges: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in nodes:
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise SystemExit(f"{module}: its top-level name '{top}' has no layer in scripts/architecture_check.py")


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in edges.items() for b in targets if layer_of(b) > layer_of(a))


def long_functions(mods: dict[str, Path]) -> list[tuple[str, int]]:
    out = []
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    out.append((f"{name}.{node.name}", n))
    return sorted(out, key=lambda t: -t[1])


def main() -> int:
    mods = modules()
    edges = import_edges(mods)
    found_cycles = cycles(edges, list(mods))
    up = upward(edges)
    long = long_functions(mods)
    print(f"{len(mods)} modules, {sum(len(v) for v in edges.values())} imports inside {PACKAGE}")
    print(f"import cycles: {len(found_cycles)}")
    for c in found_cycles:
        print("   ", " <-> ".join(c))
    print(f"imports up the layers: {len(up)}")
    for a, b in up:
        print(f"    {a} (layer {layer_of(a)}) -> {b} (layer {layer_of(b)})")
    print(f"functions over {MAX_FUNCTION_LINES} lines: {len(long)}")
    for f, n in long:
        print(f"    {f}: {n}")
    return 1 if found_cycles or up or long else 0


if __name__ == "__main__":
    sys.exit(main())
