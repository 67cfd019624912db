"""Driver of an hwcodesign accelerator: the same file runs on the board under PYNQ and on
hwcodesign's virtual board (``hwcodesign deploy runs/<name> --virtual``).

    from driver import Accelerator
    acc = Accelerator()                          # loads hwcd_accel.bit (+ .hwh) with PYNQ
    y = acc.predict(x)                           # float in, packed fixed point over DMA, float out
    acc.throughput_test(batch_size=1024)         # FINN-compatible fields + first-sample latency

It needs numpy, qonnx and finn-plus' packing (``finn_plus_driver`` on the board, ``finn`` on a
build host), and ``pynq`` only when no ``overlay`` is given. Facts about the design (widths,
fixed-point formats, beats per sample, latency) come from ``accelerator.json`` next to it;
the PL clock is read from the loaded bitstream, never assumed (FINN issue #876).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

try:  # on the board: finn-plus-driver; on a build host: finn-plus itself
    from finn_plus_driver.packing import finnpy_to_packed_bytearray, packed_bytearray_to_finnpy
except ImportError:  # pragma: no cover - depends on the environment
    from finn.util.data_packing import finnpy_to_packed_bytearray, packed_bytearray_to_finnpy
from qonnx.core.datatype import DataType

HERE = Path(__file__).resolve().parent

__all__ = ["Accelerator"]


class Accelerator:
    """One accelerator behind an AXI DMA (Zynq, Kria) reached through PYNQ.

    Args:
        bitfile: the bitstream (its ``.hwh`` must lie next to it, as PYNQ expects).
        spec: ``accelerator.json`` written by hwcodesign's package step.
        overlay: an already loaded overlay, or the virtual board; None loads ``bitfile``.
        max_batch: samples per DMA transfer (buffers are allocated once at this size).
    """

    def __init__(
        self, bitfile=HERE / "hwcd_accel.bit", spec=HERE / "accelerator.json", overlay=None, max_batch=1024
    ):
        self.spec = json.loads(Path(spec).read_text())
        if overlay is None:
            from pynq import Overlay  # only on the board

            overlay = Overlay(str(bitfile))
        self.overlay = overlay
        self.dma = getattr(overlay, self.spec["dma"])
        self.max_batch = int(max_batch)
        s = self.spec
        self.io_in, self.io_out = s["in"], s["out"]
        self.in_dtype, self.out_dtype = DataType[self.io_in["dtype"]], DataType[self.io_out["dtype"]]
        self._ibuf = self._allocate((self.max_batch, s["in_bytes"]))
        self._obuf = self._allocate((self.max_batch, s["out_bytes"]))

    # -- the board -------------------------------------------------------------------
    @property
    def fclk_mhz(self) -> float:
        """The PL clock the accelerator runs at, as loaded (not as requested)."""
        if hasattr(self.overlay, "fclk_mhz"):  # the virtual board
            return float(self.overlay.fclk_mhz)
        from pynq import Clocks  # PYNQ programs the PL clocks from the .hwh when it loads a bitstream

        return float(Clocks.fclk0_mhz)

    def _allocate(self, shape):
        if hasattr(self.overlay, "allocate"):
            return self.overlay.allocate(shape=shape, dtype=np.uint8)
        from pynq import allocate

        return allocate(shape=shape, dtype=np.uint8)

    def _run(self, n: int) -> float:
        """DMA ``n`` samples through; returns seconds (simulated on the virtual board)."""
        ibuf, obuf = self._ibuf[:n], self._obuf[:n]
        t0 = time.perf_counter()
        self.dma.recvchannel.transfer(obuf)
        self.dma.sendchannel.transfer(ibuf)
        self.dma.sendchannel.wait()
        self.dma.recvchannel.wait()
        wall = time.perf_counter() - t0
        return float(getattr(self.overlay, "last_transfer_s", None) or wall)

    # -- data ------------------------------------------------------------------------
    def pack(self, x: np.ndarray) -> np.ndarray:
        """Float inputs -> one row of bytes per sample, as the accelerator's beats expect:
        ``fold`` = (words, elements per word), each word padded to whole bytes, element 0
        at the least significant bits, then the sample padded to whole bus beats."""
        s, io = self.spec, self.io_in
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        if x.shape[1] != s["n_in"]:
            raise ValueError(f"each sample needs {s['n_in']} values, got {x.shape[1]}")
        if self.in_dtype.is_integer():
            x = np.clip(
                np.floor(x / io["scale"]), self.in_dtype.min(), self.in_dtype.max()
            )  # saturate on the host
        folded = x.reshape(len(x), *io["fold"])
        packed = finnpy_to_packed_bytearray(folded, self.in_dtype, reverse_inner=True, reverse_endian=True)
        packed = packed.reshape(len(x), -1)
        return np.pad(packed, ((0, 0), (0, s["in_bytes"] - packed.shape[1])))

    def unpack(self, raw: np.ndarray) -> np.ndarray:
        """Bytes of results -> float outputs (the output scale applied)."""
        io = self.io_out
        words, per_word = io["fold"]
        word_bytes = -(-per_word * self.out_dtype.bitwidth() // 8)
        used = np.ascontiguousarray(raw[:, : words * word_bytes]).reshape(len(raw), words, word_bytes)
        ints = packed_bytearray_to_finnpy(
            used, self.out_dtype, (len(raw), words, per_word), reverse_inner=True, reverse_endian=True
        )
        return ints.reshape(len(raw), -1).astype(np.float64) * io["scale"]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Outputs for ``x`` (samples, n_in), bit-exact with the emulation."""
        x = np.asarray(x)
        outs = []
        for i in range(0, len(x), self.max_batch):
            chunk = x[i : i + self.max_batch]
            n = len(chunk)
            self._ibuf[:n] = self.pack(chunk)
            _flush(self._ibuf)
            self._run(n)
            _invalidate(self._obuf)
            outs.append(self.unpack(np.array(self._obuf[:n])))
        return np.concatenate(outs) if outs else np.zeros((0, self.spec["n_out"]))

    def throughput_test(self, batch_size: int = 1024) -> dict:
        """FINN's throughput_test fields for one transfer of ``batch_size`` samples, plus the
        latency of a single sample."""
        if not 1 <= batch_size <= self.max_batch:
            raise ValueError(f"batch_size must be 1..{self.max_batch} (the buffers' size)")
        s = self.spec
        res: dict = {}
        x = np.random.default_rng(0).normal(size=(batch_size, s["n_in"]))
        t0 = time.perf_counter()
        packed = self.pack(x)
        res["pack_input[ms]"] = (time.perf_counter() - t0) * 1e3
        t0 = time.perf_counter()
        self._ibuf[:batch_size] = packed
        _flush(self._ibuf)
        res["copy_input_data_to_device[ms]"] = (time.perf_counter() - t0) * 1e3
        runtime = self._run(batch_size)
        res["runtime[ms]"] = runtime * 1e3
        res["throughput[samples/s]"] = batch_size / runtime
        res["DRAM_in_bandwidth[MB/s]"] = batch_size * s["in_bytes"] * 1e-6 / runtime
        res["DRAM_out_bandwidth[MB/s]"] = batch_size * s["out_bytes"] * 1e-6 / runtime
        res["fclk[mhz]"] = self.fclk_mhz
        res["batch_size"] = batch_size
        t0 = time.perf_counter()
        _invalidate(self._obuf)
        raw = np.array(self._obuf[:batch_size])
        res["copy_output_data_from_device[ms]"] = (time.perf_counter() - t0) * 1e3
        t0 = time.perf_counter()
        self.unpack(raw)
        res["unpack_output[ms]"] = (time.perf_counter() - t0) * 1e3
        single = self._run(1)
        res["first_sample_latency[us]"] = single * 1e6
        if hasattr(self.overlay, "last_first_result_cycles"):
            res["first_sample_latency[cycles]"] = self.overlay.last_first_result_cycles
        return res


def _flush(buf) -> None:
    if hasattr(buf, "flush"):
        buf.flush()


def _invalidate(buf) -> None:
    if hasattr(buf, "invalidate"):
        buf.invalidate()
