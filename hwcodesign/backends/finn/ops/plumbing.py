"""RTL variants of finn-plus' stream plumbing, so SpecializeLayers picks them: StreamingSplit_rtl
(``hls/stream_split``), StreamingConcat_rtl (``hls/stream_concat``), ReplicateStream_rtl
(``hls/stream_replicate``). Semantics, attributes, shapes and types are finn-plus' own classes';
the kernels take 2..4 slices / copies, each slice a multiple of SIMD/PE channels, and refuse
anything else naming the layer.
"""

from __future__ import annotations

from finn.custom_op.fpgadataflow.concat import StreamingConcat
from finn.custom_op.fpgadataflow.replicate_stream import ReplicateStream
from finn.custom_op.fpgadataflow.rtlbackend import RTLBackend
from finn.custom_op.fpgadataflow.split import StreamingSplit

from hwcodesign.hls.stream_concat import reference as concat_ref
from hwcodesign.hls.stream_replicate import reference as replicate_ref
from hwcodesign.hls.stream_split import reference as split_ref

from .common import KernelRTLBackend, axis_ports, checked, execute_rtl_or_python, pad_to, scaled_estimate

__all__ = ["StreamingSplit_rtl", "StreamingConcat_rtl", "ReplicateStream_rtl"]


def _verify(inst, check, *args) -> list[str]:
    try:
        checked(inst, check, *args)
    except Exception as e:  # noqa: BLE001 - reported as finn-plus' verify_node messages
        return [str(e)]
    return []


def _out_side(k: int, p: int, w: int, width: int) -> tuple[str, str]:
    """Port declarations of out0_V..out<k-1>_V and their connection to the core's m_axis_<j>;
    the core's unused outputs are always ready."""
    ports = ",\n".join(axis_ports(f"out{j}_V", width, slave=False) for j in range(k))
    lines = []
    for j in range(4):
        if j < k:
            lines += [
                f"    assign out{j}_V_TDATA = {pad_to(f'm_tdata[{j}]', p * w, width)};",
                f"    assign out{j}_V_TVALID = m_tvalid[{j}];",
                f"    assign m_tready[{j}] = out{j}_V_TREADY;",
            ]
        else:
            lines.append(f"    assign m_tready[{j}] = 1'b1;")
    return ports, "\n".join(lines)


class StreamingSplit_rtl(StreamingSplit, KernelRTLBackend):  # noqa: N801 - finn-plus' naming
    """finn-plus' StreamingSplit as hls/stream_split (2..4 slices)."""

    kernel_sources = ("stream_split/stream_split.sv",)
    template = "stream_split_wrapper.v"

    def get_nodeattr_types(self):
        attrs = StreamingSplit.get_nodeattr_types(self)
        attrs.update(RTLBackend.get_nodeattr_types(self))
        return attrs

    def execute_node(self, context, graph):
        execute_rtl_or_python(self, StreamingSplit.execute_node, context, graph)

    def _args(self) -> tuple:
        sizes = list(self.get_nodeattr("ChannelsPerStream"))
        return self.get_input_datatype().bitwidth(), self.get_nodeattr("SIMD"), sizes

    def verify_node(self):
        return _verify(self, split_ref.check_params, *self._args())

    def hdl_values(self, model):
        checked(self, split_ref.check_params, *self._args())
        w, p, sizes = self._args()
        ports, connect = _out_side(len(sizes), p, w, self.get_outstream_width_padded())
        return {
            **split_ref.hdl_parameters(w, p, sizes),
            "LAST": len(sizes) - 1,
            "IN_BITS": self.get_instream_width_padded(),
            "OUT_PORTS": ports,
            "OUT_CONNECT": connect,
        }

    def lut_estimation(self, fpgapart=None):  # README: K=3 slices of W=8
        w, p, sizes = self._args()
        return scaled_estimate(57, 125, p, w / 8 * len(sizes) / 3)


class ReplicateStream_rtl(ReplicateStream, KernelRTLBackend):  # noqa: N801 - finn-plus' naming
    """finn-plus' ReplicateStream as hls/stream_replicate (2..4 copies, independent handshakes)."""

    kernel_sources = ("stream_replicate/stream_replicate.sv",)
    template = "stream_replicate_wrapper.v"

    def get_nodeattr_types(self):
        attrs = RTLBackend.get_nodeattr_types(self)
        attrs.update(ReplicateStream.get_nodeattr_types(self))  # keeps exec_mode "python"
        return attrs

    def execute_node(self, context, graph):
        execute_rtl_or_python(self, ReplicateStream._execute_node_python, context, graph)

    def _args(self) -> tuple[int, int, int]:
        return self.get_input_datatype().bitwidth(), self.get_nodeattr("PE"), self.get_nodeattr("num")

    def verify_node(self):
        return _verify(self, replicate_ref.check_params, *self._args())

    def hdl_values(self, model):
        checked(self, replicate_ref.check_params, *self._args())
        w, p, k = self._args()
        ports, connect = _out_side(k, p, w, self.get_outstream_width_padded())
        return {
            "W": w,
            "P": p,
            "K": k,
            "LAST": k - 1,
            "IN_BITS": self.get_instream_width_padded(),
            "OUT_PORTS": ports,
            "OUT_CONNECT": connect,
        }

    def lut_estimation(self, fpgapart=None):  # README: K=2, W=8
        w, p, k = self._args()
        return scaled_estimate(25, 73, p, w / 8 * k / 2)


class StreamingConcat_rtl(StreamingConcat, KernelRTLBackend):  # noqa: N801 - finn-plus' naming
    """finn-plus' StreamingConcat as hls/stream_concat (2..4 slices); inputs narrower than the
    output type are sign- or zero-extended in the wrapper."""

    kernel_sources = ("stream_concat/stream_concat.sv",)
    template = "stream_concat_wrapper.v"

    def get_nodeattr_types(self):
        attrs = StreamingConcat.get_nodeattr_types(self)
        attrs.update(RTLBackend.get_nodeattr_types(self))
        return attrs

    def execute_node(self, context, graph):
        execute_rtl_or_python(self, StreamingConcat.execute_node, context, graph)

    def _args(self) -> tuple:
        sizes = list(self.get_nodeattr("ChannelsPerStream"))
        return self.get_output_datatype().bitwidth(), self.get_nodeattr("SIMD"), sizes

    def verify_node(self):
        return _verify(self, concat_ref.check_params, *self._args())

    def _in_side(self, k: int, p: int, w: int) -> tuple[str, str]:
        ports = ",\n".join(
            axis_ports(f"in{i}_V", self.get_instream_width_padded(i), slave=True) for i in range(k)
        )
        lines = []
        for i in range(4):
            if i >= k:
                lines += [f"    assign s_tdata[{i}] = {p * w}'d0;", f"    assign s_tvalid[{i}] = 1'b0;"]
                continue
            dt = self.get_input_datatype(i)
            wf = dt.bitwidth()
            lines += [
                f"    hwcd_lanes #(.P({p}), .WF({wf}), .WK({w}), .SIGNED({int(dt.signed())})) lanes_{i} (",
                f"        .din(in{i}_V_TDATA[{p * wf}-1:0]), .dout(s_tdata[{i}])\n    );",
                f"    assign s_tvalid[{i}] = in{i}_V_TVALID;",
                f"    assign in{i}_V_TREADY = s_tready[{i}];",
            ]
        return ports + ",", "\n".join(lines)

    def hdl_values(self, model):
        checked(self, concat_ref.check_params, *self._args())
        w, p, sizes = self._args()
        ports, connect = self._in_side(len(sizes), p, w)
        out_bits = self.get_outstream_width_padded()
        return {
            **concat_ref.hdl_parameters(w, p, sizes),
            "IN_PORTS": ports,
            "IN_CONNECT": connect,
            "OUT_BITS": out_bits,
            "OUT_DATA": pad_to("y", p * w, out_bits),
        }

    def lut_estimation(self, fpgapart=None):  # README: K=2 slices of W=8
        w, p, sizes = self._args()
        return scaled_estimate(37, 83, p, w / 8 * len(sizes) / 2)
