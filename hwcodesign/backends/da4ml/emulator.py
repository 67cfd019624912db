"""A fast bit-exact emulator of a da4ml design: the design's operation list (``comb.json``)
written out as straight-line C on integers, compiled once (content-addressed cache) and run
on many samples in parallel (OpenMP), a block of samples per SIMD register.

Values are 32-bit when every value of the design and every intermediate that must be exact
fits in 31 bits (16 samples per 512-bit register), else 64-bit (8 samples). Wrap-around is
two's complement (``-fwrapv``), so sums and products that only need their low bits stay
exact in both cases.

The semantics are those of da4ml's own DAIS interpreter (``CombLogic.predict``), op by op:
shift-add, ReLU/quantize with wrap-around, constants, MSB multiplexers, products, lookup
tables. The interpreter decodes every operation for every sample; generated code lets the
compiler keep values in registers, which is what makes it fast. Tests compare both on the
whole test set and on random inputs far outside it (every wrap path), and with Verilator.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ConfigError, MissingDependencyError
from ...locks import exclusive
from ...tools.process import map_tools, run_logged

__all__ = ["Emulator", "c_sources", "lane_bits"]

_CFLAGS = ("-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-fwrapv", "-std=c11")
#: Operations per generated C function: small functions keep the compiler fast.
_OPS_PER_FUNCTION = 400
#: Functions per C file: the files compile in parallel.
_FUNCTIONS_PER_FILE = 8
#: Bytes of one block of lanes: 64 (one AVX-512 register: 16 int32 or 8 int64 samples).
_BLOCK_BYTES = 64


@dataclass(frozen=True)
class _Type:
    signed: int
    integers: int
    fractionals: int

    @property
    def width(self) -> int:
        return self.signed + self.integers + self.fractionals


def _kif(qint) -> _Type:
    from da4ml.types import minimal_kif

    k, i, f = (int(v) for v in minimal_kif(qint))
    return _Type(k, i, f)


def _wrap(expr: str, t: _Type, bits: int) -> str:
    """``expr`` wrapped to ``t``'s width (two's complement), as the interpreter's quantize,
    on ``bits``-bit values."""
    w = t.width
    if w <= 0:
        return "0"
    if w >= bits:
        return f"({expr})"
    if t.signed:
        return f"WRAPS({expr}, {bits - w})"
    return f"(({expr}) & {_const((1 << w) - 1, bits)})"


def _const(v: int, bits: int) -> str:
    return f"{int(v)}LL" if bits == 64 else f"{int(v)}"


def _shl(expr: str, s: int) -> str:
    if s == 0:
        return expr
    return f"SHL({expr}, {s})" if s > 0 else f"(({expr}) >> {-s})"


def _split(data: int) -> tuple[int, int]:
    """(low, high) 32-bit halves of an op's 64-bit data word, as the binary format stores them."""
    u = int(data) & 0xFFFFFFFFFFFFFFFF
    low, high = u & 0xFFFFFFFF, u >> 32
    return low - (1 << 32) * (low >> 31), high - (1 << 32) * (high >> 31)


def _operands(op) -> list[int]:
    code = int(op.opcode)
    if code == -1 or code == 5:
        return []
    ids = [int(op.id0)] + ([int(op.id1)] if int(op.id1) >= 0 else [])
    if abs(code) == 6:
        ids.append(_split(op.data)[0])
    return ids


def _slots(ops, outputs: list[int]) -> tuple[list[int], list[bool], int]:
    """A value slot per operation, reused once its value is dead (liveness over the straight
    line), so a block's working set stays in L1; (slot, needed, number of slots)."""
    n = len(ops)
    needed = [False] * n
    for j in outputs:
        if j >= 0:
            needed[j] = True
    for i in range(n - 1, -1, -1):
        if needed[i]:
            for j in _operands(ops[i]):
                needed[j] = True
    last = [-1] * n
    for i, op in enumerate(ops):
        if needed[i]:
            for j in _operands(op):
                last[j] = i
    for j in outputs:
        if j >= 0:
            last[j] = n
    slot, free, count = [-1] * n, [], 0
    for i, op in enumerate(ops):
        if not needed[i]:
            continue
        for j in set(_operands(op)):
            if last[j] == i:
                free.append(slot[j])
        if free:
            slot[i] = free.pop()
        else:
            slot[i], count = count, count + 1
    return slot, needed, max(1, count)


def _add_shifts(op, ta: _Type, tb: _Type, t: _Type) -> tuple[int, int]:
    """(left shift of the second operand relative to the first, right shift of the sum) of an
    add/subtract, both in the operands' and result's fixed-point scales."""
    low, _ = _split(op.data)
    return low + ta.fractionals - tb.fractionals, max(ta.fractionals, tb.fractionals - low) - t.fractionals


def _exact_bits(i: int, op, types: list[_Type]) -> int:
    """Bits operation ``i`` needs to compute exactly before its wrap: its result width, and
    for an add whose sum is shifted right afterwards, the width of that sum; constants count
    their own width (table entries are counted by ``lane_bits``)."""
    t, code = types[i], int(op.opcode)
    need = t.width + 1
    if code in (0, 1):
        _, g = _add_shifts(op, types[int(op.id0)], types[int(op.id1)], t)
        need = max(need, t.width + max(0, g) + 1)
    elif code in (4, 5):
        need = max(need, abs(int(op.data)).bit_length() + 1)
    return need


def lane_bits(comb) -> int:
    """32 when every operation of ``comb`` fits 32-bit lanes exactly, else 64."""
    ops = list(comb.ops)
    types = [_kif(op.qint) for op in ops]
    need = max((_exact_bits(i, op, types) for i, op in enumerate(ops)), default=0)
    for tab in comb.lookup_tables or []:
        need = max(need, *(abs(int(v)).bit_length() + 1 for v in np.asarray(tab.table).ravel()))
    return 32 if need <= 32 else 64


def _expression(i: int, op, types: list[_Type], comb, bits: int) -> str:
    """One lane of operation ``i`` in C on ``bits``-bit values, reading operands as ``V(j)``."""
    t = types[i]
    code, a, b = int(op.opcode), int(op.id0), int(op.id1)
    ta = types[a] if a >= 0 and code != -1 else None
    tb = types[b] if b >= 0 else None
    if code == -1:  # via int64: a value far out of range wraps instead of being undefined
        scale = 2.0 ** (int(comb.inp_shifts[a]) + t.fractionals)
        return _wrap(f"(val_t)(int64_t)floor(X({a}) * {scale!r})", t, bits)
    if code in (0, 1):
        shift, g = _add_shifts(op, ta, tb, t)
        v2 = f"-V({b})" if code == 1 else f"V({b})"
        e = f"V({a}) + {_shl(v2, shift)}" if shift > 0 else f"{_shl(f'V({a})', -shift)} + {v2}"
        return f"({e}) >> {g}" if g > 0 else e
    if code in (2, -2, 3, -3):  # ReLU / quantize of +x or -x: truncate, wrap
        src = f"V({a})" if code > 0 else f"(-V({a}))"
        e = _wrap(_shl(src, t.fractionals - ta.fractionals), t, bits)
        return f"{src} < 0 ? 0 : {e}" if abs(code) == 2 else e
    if code == 4:
        return f"{_shl(f'V({a})', t.fractionals - ta.fractionals)} + {_const(op.data, bits)}"
    if code == 5:
        return _const(op.data, bits)
    if code in (6, -6):  # V(a) if the MSB of V(cond) is set, else (+/-)V(b) << shift
        cond, shift = _split(op.data)
        tc = types[cond]
        test = f"V({cond}) < 0" if tc.signed else f"V({cond}) >= {_const(1 << max(0, tc.width - 1), bits)}"
        s0, s1 = t.fractionals - ta.fractionals, t.fractionals - tb.fractionals + shift
        v1 = f"V({b})" if code > 0 else f"(-V({b}))"
        return _wrap(f"({test}) ? {_shl(f'V({a})', s0)} : {_shl(v1, s1)}", t, bits)
    if code == 7:
        return f"V({a}) * V({b})"
    if code == 8:
        low, high = _split(op.data)
        zero = -(1 << (ta.width - 1)) if ta.signed else 0
        return f"T{low}[V({a}) - {_const(zero + high, bits)}]"
    raise ConfigError(
        f"da4ml operation {i} has opcode {code}, which the emulator does not know; known: -6, "
        "-3..8 (da4ml 0.6's arithmetic operations; not yet the bitwise ones, 9 and 10)"
    )


def c_sources(comb, bits: int | None = None) -> dict[str, str]:
    """C files for ``comb`` (a da4ml ``CombLogic``): ``main.c`` with
    ``hwcd_emulate(x, Y, n, threads)`` and ``part<k>.c`` files with the operations, so a big
    design compiles on all cores.

    Samples go through in blocks that fill a 512-bit register (16 lanes of 32 bits or 8 of 64,
    ``bits`` = ``lane_bits(comb)`` unless given): every operation is a loop over the block's
    lanes, which the compiler turns into SIMD instructions."""
    import re

    bits = bits or lane_bits(comb)
    block = _BLOCK_BYTES * 8 // bits
    ops = list(comb.ops)
    types = [_kif(op.qint) for op in ops]
    n_in, n_out = (int(v) for v in comb.shape)
    outputs = [int(j) for j in comb.out_idxs]
    slot, needed, n_slots = _slots(ops, outputs)
    header = _c_header(comb, block, bits)
    body = []
    for i, op in enumerate(ops):
        if needed[i]:
            e = _expression(i, op, types, comb, bits)
            e = re.sub(r"V\((\d+)\)", lambda m: f"v[{slot[int(m.group(1))]}][s]", e)
            e = re.sub(r"X\((\d+)\)", lambda m: f"x[s * {n_in} + {m.group(1)}]", e)
            body.append(f"  for (int s = 0; s < B; s++) v[{slot[i]}][s] = {e};")
    signature = "(const double *restrict x, val_t (*restrict v)[B])"
    funcs = [f"hwcd_part{k}" for k in range(-(-len(body) // _OPS_PER_FUNCTION))]
    files: dict[str, str] = {}
    for u in range(0, len(funcs), _FUNCTIONS_PER_FILE):
        text = list(header)
        for k in range(u, min(u + _FUNCTIONS_PER_FILE, len(funcs))):
            text.append(f"void {funcs[k]}{signature} {{")
            text.extend(body[k * _OPS_PER_FUNCTION : (k + 1) * _OPS_PER_FUNCTION])
            text.append("}")
        files[f"part{u // _FUNCTIONS_PER_FILE}.c"] = "\n".join([*text, ""])
    outs = []
    for j, idx in enumerate(outputs):
        if idx < 0:
            outs.append(f"      yo[s * {n_out} + {j}] = 0.0;")
            continue
        scale = 2.0 ** (int(comb.out_shifts[j]) - types[idx].fractionals)
        sign = "-" if int(comb.out_negs[j]) else ""
        outs.append(f"      yo[s * {n_out} + {j}] = (double)({sign}v[{slot[idx]}][s]) * {scale!r};")
    main = _c_main(funcs, signature, n_in, n_out, n_slots, outs)
    files["main.c"] = "\n".join([*header, *main, ""])
    return files


def _c_header(comb, block: int, bits: int) -> list[str]:
    """Includes, the lane type and shift macros, and the design's lookup tables."""
    return [
        "/* hwcodesign: bit-exact emulation of a da4ml design (generated; do not edit) */",
        "#include <math.h>",
        "#include <omp.h>",
        "#include <stdint.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        f"#define B {block}",
        f"typedef int{bits}_t val_t;",
        f"#define SHL(a, s) ((val_t)((uint{bits}_t)(a) << (s)))",
        "#define WRAPS(a, s) (SHL((a), (s)) >> (s))",
        *(
            f"static const val_t T{k}[] = {{{','.join(str(int(v)) for v in np.asarray(t.table).ravel())}}};"
            for k, t in enumerate(comb.lookup_tables or [])
        ),
    ]


def _c_main(
    funcs: list[str], signature: str, n_in: int, n_out: int, n_slots: int, outs: list[str]
) -> list[str]:
    """``hwcd_emulate``: blocks of B samples over OpenMP threads, each through every part function."""
    return [
        *(f"void {f}{signature};" for f in funcs),
        "void hwcd_emulate(const double *x, double *Y, long n, int threads) {",
        "  if (threads > 0) omp_set_num_threads(threads);",
        "  #pragma omp parallel",
        "  {",
        f"  val_t (*v)[B] = aligned_alloc(64, sizeof(val_t) * B * {n_slots});",
        f"  double xpad[B * {n_in}], ypad[B * {n_out}];",
        "  #pragma omp for schedule(dynamic, 8)",  # a busy core does not hold the others up
        "  for (long i0 = 0; i0 < n; i0 += B) {",
        "    long m = n - i0 < B ? n - i0 : B;",
        f"    const double *xb = x + i0 * {n_in};",
        "    if (m < B) {",
        f"      memset(xpad, 0, sizeof xpad); memcpy(xpad, xb, sizeof(double) * m * {n_in}); xb = xpad;",
        "    }",
        *(f"    {f}(xb, v);" for f in funcs),
        f"    double *yo = m == B ? Y + i0 * {n_out} : ypad;",
        "    for (int s = 0; s < B; s++) {",
        *outs,
        "    }",
        f"    if (m < B) memcpy(Y + i0 * {n_out}, ypad, sizeof(double) * m * {n_out});",
        "  }",
        "  free(v);",
        "  }",
        "}",
    ]


def _compiler() -> str:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise MissingDependencyError("gcc", "the emulator", "sudo apt install gcc (part of `make install`)")
    return cc


def _build(cc: str, sources: dict[str, str], folder: Path, lib: Path) -> None:
    """Compile every C file on all cores, then link them into ``lib`` (renamed into place)."""
    for name, text in sources.items():
        (folder / name).write_text(text)

    def compile_one(name: str, cancel) -> None:
        obj = name.removesuffix(".c") + ".o"
        log = folder / f"build_{obj}.log"
        run_logged("gcc", [cc, *_CFLAGS, "-c", "-o", obj, name], folder, log, cancel=cancel)

    map_tools(compile_one, sorted(sources, key=lambda n: -len(sources[n])), os.cpu_count() or 1)
    tmp = folder / f"libhwcd_emu.{os.getpid()}.so"
    objs = [n.removesuffix(".c") + ".o" for n in sorted(sources)]
    run_logged("gcc", [cc, *_CFLAGS, "-o", tmp.name, *objs, "-lm"], folder, folder / "build_link.log")
    tmp.replace(lib)


def _machine_key(cc: str) -> str:
    """-march=native code is for this CPU: the cache key names the compiler and the CPU."""
    flags = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        flags = next((ln for ln in cpuinfo.splitlines() if ln.startswith("flags")), "")
    except OSError:
        pass
    return f"{cc}|{platform.machine()}|{flags}|{' '.join(_CFLAGS)}"


class Emulator:
    """A compiled da4ml design. ``Emulator.from_comb(path)``, then ``predict(x)`` or ``stream``.

    Attributes:
        prepare_s: seconds to generate and compile (or to load from the cache).
        cached: whether the library came from the cache.
        bits: width of the integer lanes (32 or 64, see ``lane_bits``).
    """

    def __init__(self, comb, cache_dir: Path, bits: int | None = None):
        self.comb = comb
        self.n_in, self.n_out = (int(v) for v in comb.shape)
        t0 = time.perf_counter()
        self.bits = bits or lane_bits(comb)
        sources = c_sources(comb, self.bits)
        cc = _compiler()
        h = hashlib.sha256(_machine_key(cc).encode())
        for name in sorted(sources):
            h.update(f"\n{name}\n{sources[name]}".encode())
        key = h.hexdigest()[:24]
        entry = Path(cache_dir) / key
        lib = entry / "libhwcd_emu.so"
        entry.mkdir(parents=True, exist_ok=True)
        with exclusive(entry / ".lock", f"emulator build {key}", wait=True):
            self.cached = lib.is_file()
            if not self.cached:
                _build(cc, sources, entry, lib)
                (entry / "info.json").write_text(json.dumps({"ops": len(comb.ops), "cflags": _CFLAGS}))
        self._lib = ctypes.CDLL(str(lib))
        self._fn = self._lib.hwcd_emulate
        self._fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_int]
        self._fn.restype = None
        self.prepare_s = time.perf_counter() - t0
        self.library = lib

    @classmethod
    def from_comb(cls, path: Path, cache_dir: Path, bits: int | None = None) -> Emulator:
        from da4ml.types import CombLogic

        return cls(CombLogic.load(str(path)), cache_dir, bits)

    def predict(self, x: np.ndarray, threads: int = 0) -> np.ndarray:
        """Outputs (n, n_out) for inputs ``x`` (n, ...), bit-exact with the hardware."""
        x = np.asarray(x, dtype=np.float64)
        x = np.ascontiguousarray(x.reshape(len(x), self.n_in if x.size == 0 else -1))
        if x.shape[1] != self.n_in:
            raise ConfigError(f"the design takes {self.n_in} inputs per sample, the data has {x.shape[1]}")
        y = np.empty((len(x), self.n_out), dtype=np.float64)
        if len(x):
            self._fn(x.ctypes.data, y.ctypes.data, len(x), int(threads))
        return y

    def stream(
        self, x: np.ndarray, chunk: int = 1 << 16, threads: int = 0
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(start, outputs) per chunk of ``x`` (e.g. a memory-mapped ``.npy`` larger than memory)."""
        for start in range(0, len(x), chunk):
            yield start, self.predict(np.asarray(x[start : start + chunk]), threads)
