"""Two processes needing the same cache entry at once (two sweep trials building one
Verilator model): one builds, the other waits and uses the same whole entry."""

from __future__ import annotations

import multiprocessing as mp
import subprocess
from pathlib import Path

ADDER = """module mac (input [7:0] a, input [7:0] b, input [15:0] c, output [15:0] y);
  assign y = a * b + c;
endmodule
"""

TESTBENCH = r"""#include "Vmac.h"
#include <cstdio>
int main() {
  Vmac m;
  unsigned a, b, c;
  while (std::scanf("%u %u %u", &a, &b, &c) == 3) {
    m.a = a; m.b = b; m.c = c; m.eval();
    std::printf("%u\n", (unsigned)m.y);
  }
  return 0;
}
"""


def _build(folder: str, cache: str, name: str, barrier) -> dict:
    from hwcodesign.tools.verilator import BuildOptions, build_cached

    f = Path(folder)
    barrier.wait()  # both processes ask for the entry at the same moment
    options = BuildOptions(ccache=False)
    exe, info = build_cached(
        "mac", [f / "mac.v"], f / "tb.cpp", f / name, options=options, cache_dir=Path(cache)
    )
    return {"exe": str(exe), "cached": info["cached"], "key": info["key"]}


def test_two_builders_of_one_design_share_one_whole_entry(tmp_path, rng):
    from hwcodesign.cache import ContentCache

    (tmp_path / "mac.v").write_text(ADDER)
    (tmp_path / "tb.cpp").write_text(TESTBENCH)
    cache = tmp_path / "cache"
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(2) as pool:
        barrier = manager.Barrier(2)
        jobs = [
            pool.apply_async(_build, (str(tmp_path), str(cache), name, barrier)) for name in ("one", "two")
        ]
        results = [j.get(timeout=600) for j in jobs]

    assert sorted(r["cached"] for r in results) == [False, True], results  # built once, used twice
    key = results[0]["key"]
    assert results[1]["key"] == key
    entries = [p.name for p in cache.iterdir() if not p.name.endswith(".lock")]
    assert entries == [key], f"expected one entry and no temp folders, found {entries}"
    assert ContentCache(cache).damage(key) is None

    x = rng.integers(0, [256, 256, 65536], size=(200, 3))
    stdin = "\n".join(" ".join(map(str, row)) for row in x)
    expected = [int(v) for v in (x[:, 0] * x[:, 1] + x[:, 2]) % 65536]
    for r in results:
        out = subprocess.run([r["exe"]], input=stdin, capture_output=True, text=True, check=True).stdout
        assert [int(v) for v in out.split()] == expected
