// The virtual board's hardware half: the accelerator (hwcd_axis_pipeline or any block with
// the same AXI4-Stream ports) in Verilator behind a model of a DMA engine.
//
// MM2S (memory to stream) sends the input buffer's beats in bursts of BURST beats with GAP idle
// cycles between bursts (memory latency), each beat additionally withheld with probability
// VALID_GAP_PCT percent (bursty tvalid); TLAST marks the buffer's last beat. S2MM (stream to
// memory) takes output beats, stalling tready with probability STALL_PCT percent.
//
// Usage: <sim> in.bin n_in_beats out.bin n_out_beats burst gap valid_gap_pct stall_pct seed max_cycles
//   in.bin / out.bin: beats as little-endian uint32 words, BUS/32 words per beat
// Prints one JSON line: cycles, first_in, first_out, last_out (cycle numbers of accepted beats),
// out_beats, timed_out; writes out.bin.cycles (uint64: the cycle each output beat was taken). Compile-time: tb_config.h defines TOP_CLASS, its header, BUS.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "tb_config.h"
#include "verilated.h"

constexpr size_t WORDS = (BUS + 31) / 32;

template <typename T> void put(T &port, const uint32_t *w) {
    if constexpr (std::is_integral_v<T>) {
        uint64_t v = w[0];
        if constexpr (sizeof(T) > 4) v |= static_cast<uint64_t>(WORDS > 1 ? w[1] : 0) << 32;
        port = static_cast<T>(v);
    } else {
        for (size_t i = 0; i < WORDS; ++i) port[i] = w[i];
    }
}

template <typename T> void get(const T &port, uint32_t *w) {
    if constexpr (std::is_integral_v<T>) {
        uint64_t v = port;
        w[0] = static_cast<uint32_t>(v);
        if constexpr (WORDS > 1) w[1] = static_cast<uint32_t>(v >> 32);
    } else {
        for (size_t i = 0; i < WORDS; ++i) w[i] = port[i];
    }
}

int main(int argc, char **argv) {
    if (argc != 11) {
        std::fprintf(stderr, "usage: %s in.bin n_in out.bin n_out burst gap valid_gap_pct stall_pct seed max_cycles\n", argv[0]);
        return 2;
    }
    const size_t n_in = std::strtoull(argv[2], nullptr, 10), n_out = std::strtoull(argv[4], nullptr, 10);
    const unsigned burst = std::strtoul(argv[5], nullptr, 10), gap = std::strtoul(argv[6], nullptr, 10);
    const unsigned valid_gap = std::strtoul(argv[7], nullptr, 10), stall = std::strtoul(argv[8], nullptr, 10);
    std::mt19937 rng(std::strtoul(argv[9], nullptr, 10));
    const uint64_t max_cycles = std::strtoull(argv[10], nullptr, 10);

    std::vector<uint32_t> in(n_in * WORDS), out(n_out * WORDS, 0);
    std::vector<uint64_t> out_cycle(n_out, 0);
    FILE *fi = std::fopen(argv[1], "rb");
    if (!fi || std::fread(in.data(), 4, in.size(), fi) != in.size()) {
        std::fprintf(stderr, "cannot read %zu beats from %s\n", n_in, argv[1]);
        return 3;
    }
    std::fclose(fi);

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(1, argv);
    auto dut = std::make_unique<TOP_CLASS>(ctx.get());
    std::uniform_int_distribution<unsigned> pct(0, 99);

    // reset
    dut->aresetn = 0;
    for (int i = 0; i < 4; ++i) {
        dut->aclk = 0;
        dut->eval();
        dut->aclk = 1;
        dut->eval();
    }
    dut->aresetn = 1;

    size_t in_pos = 0, out_pos = 0;
    unsigned in_burst = 0, idle = 0;
    long long first_in = -1, first_out = -1, last_out = -1;
    uint64_t cycle = 0;
    bool timed_out = false;
    for (; out_pos < n_out; ++cycle) {
        if (cycle >= max_cycles) {
            timed_out = true;
            break;
        }
        // drive both streams before the edge
        bool offer = in_pos < n_in && idle == 0 && pct(rng) >= valid_gap;
        dut->s_axis_tvalid = offer;
        if (offer) {
            put(dut->s_axis_tdata, &in[in_pos * WORDS]);
            dut->s_axis_tlast = in_pos == n_in - 1;
        }
        dut->m_axis_tready = pct(rng) >= stall;
        dut->aclk = 0;
        dut->eval();
        const bool in_fire = offer && dut->s_axis_tready;
        const bool out_fire = dut->m_axis_tvalid && dut->m_axis_tready;
        if (out_fire) {
            get(dut->m_axis_tdata, &out[out_pos * WORDS]);
            out_cycle[out_pos] = cycle;
            if (first_out < 0) first_out = cycle;
            if (dut->m_axis_tlast && out_pos != n_out - 1) {
                std::fprintf(stderr, "TLAST on beat %zu of %zu\n", out_pos, n_out);
                return 5;
            }
            last_out = cycle;
            ++out_pos;
        }
        dut->aclk = 1;
        dut->eval();
        if (in_fire) {
            if (first_in < 0) first_in = cycle;
            ++in_pos;
            if (burst && ++in_burst == burst) {
                in_burst = 0;
                idle = gap;
            }
        } else if (idle) {
            --idle;
        }
    }
    dut->final();
    FILE *fo = std::fopen(argv[3], "wb");
    if (!fo || std::fwrite(out.data(), 4, out.size(), fo) != out.size()) {
        std::fprintf(stderr, "cannot write %s\n", argv[3]);
        return 4;
    }
    std::fclose(fo);
    const std::string cycles_file = std::string(argv[3]) + ".cycles";
    FILE *fc = std::fopen(cycles_file.c_str(), "wb");
    if (!fc || std::fwrite(out_cycle.data(), 8, out_cycle.size(), fc) != out_cycle.size()) {
        std::fprintf(stderr, "cannot write %s\n", cycles_file.c_str());
        return 4;
    }
    std::fclose(fc);
    std::printf("{\"cycles\": %llu, \"first_in\": %lld, \"first_out\": %lld, \"last_out\": %lld, "
                "\"in_beats\": %zu, \"out_beats\": %zu, \"timed_out\": %s}\n",
                static_cast<unsigned long long>(cycle), first_in, first_out, last_out, in_pos, out_pos,
                timed_out ? "true" : "false");
    return timed_out ? 6 : 0;
}
