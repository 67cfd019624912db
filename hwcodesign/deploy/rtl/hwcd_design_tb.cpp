// Verilator testbench of a whole stitched finn-plus design (hwcodesign.backends.finn.design_sim).
// The design's stream ports and sizes come from design_tb.h, written per design: N_IN inputs
// in<i>_V, N_OUT outputs out<j>_V, words of IN_CHUNKS / OUT_CHUNKS 32-bit chunks, IN_BEATS /
// OUT_BEATS beats per frame, N_FIFOS FIFO gauges (gauge_sel -> gauge_count, gauge_max).
//
// Every input streams its frames back to back (TVALID withheld on valid_gap_pct % of the cycles,
// drawn per input; with frame_interval > 0, frame f starts no earlier than cycle f * frame_interval:
// frames paced at a given rate), every output takes beats when ready (TREADY low on stall_pct % of the
// cycles, drawn per output). A transfer happens at a rising edge when TVALID and TREADY are
// high. Cycle 0 is the first clock after reset. The run stops when every output has its frames,
// at max_cycles, or when no output beat arrived for idle_limit cycles (a deadlock: nothing hangs).
//
// Usage: <sim> out_prefix max_cycles idle_limit valid_gap_pct stall_pct seed frame_interval n_frames in0.bin ...
// Writes <out_prefix><j>.bin (chunks) and .bin.cycles (uint64, the cycle of each beat) per output,
// <out_prefix>in<i>.frames (uint64, the cycle of each frame's first input beat) per input, and
// prints one JSON line: cycles, deadlock, timed_out, beats taken and given per stream, inputs
// waiting (TVALID high, TREADY low), outputs stalled, and every FIFO's occupancy and maximum.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "design_tb.h"
#include "verilated.h"

namespace {

struct Rng {
    uint32_t s;
    explicit Rng(uint32_t seed) : s(seed * 2654435761u + 1u) {}
    bool pass(int pct) {  // false on pct % of the calls
        s ^= s << 13; s ^= s >> 17; s ^= s << 5;
        return pct <= 0 || (int)(s % 100) >= pct;
    }
};

std::vector<uint32_t> read_chunks(const char *path) {
    std::vector<uint32_t> v;
    FILE *f = std::fopen(path, "rb");
    if (!f) { std::fprintf(stderr, "cannot open %s\n", path); std::exit(3); }
    uint32_t c;
    while (std::fread(&c, 4, 1, f) == 1) v.push_back(c);
    std::fclose(f);
    return v;
}

template <typename T> void write_all(const std::string &path, const std::vector<T> &v) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(v.data(), sizeof(T), v.size(), f) != v.size()) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(4);
    }
    std::fclose(f);
}

std::string join(const std::vector<unsigned long long> &v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 9 + N_IN) {
        std::fprintf(stderr, "usage: %s out_prefix max_cycles idle_limit valid_gap_pct stall_pct seed frame_interval n_frames in.bin...\n",
                     argv[0]);
        return 2;
    }
    const std::string prefix = argv[1];
    const uint64_t max_cycles = std::strtoull(argv[2], nullptr, 10);
    const uint64_t idle_limit = std::strtoull(argv[3], nullptr, 10);
    const int gap_pct = std::atoi(argv[4]), stall_pct = std::atoi(argv[5]);
    const uint32_t seed = (uint32_t)std::strtoul(argv[6], nullptr, 10);
    const uint64_t frame_interval = std::strtoull(argv[7], nullptr, 10);
    const uint64_t n_frames = std::strtoull(argv[8], nullptr, 10);

    std::vector<std::vector<uint32_t>> in(N_IN);
    std::vector<size_t> pos(N_IN, 0);
    std::vector<std::vector<uint64_t>> frame_start(N_IN);
    std::vector<Rng> in_rng, out_rng;
    for (int i = 0; i < N_IN; ++i) {
        in[i] = read_chunks(argv[9 + i]);
        if (in[i].size() != n_frames * IN_BEATS[i] * IN_CHUNKS[i]) {
            std::fprintf(stderr, "%s: %zu chunks, expected %llu\n", argv[9 + i], in[i].size(),
                         (unsigned long long)(n_frames * IN_BEATS[i] * IN_CHUNKS[i]));
            return 3;
        }
        in_rng.emplace_back(seed + 101u * (uint32_t)(i + 1));
    }
    std::vector<std::vector<uint32_t>> out(N_OUT);
    std::vector<std::vector<uint64_t>> out_cycle(N_OUT);
    std::vector<uint32_t> word(64);
    for (int j = 0; j < N_OUT; ++j) out_rng.emplace_back(seed + 7919u * (uint32_t)(j + 1));

    auto ctx = std::make_unique<VerilatedContext>();
    auto dut = std::make_unique<Top>(ctx.get());
    tie_offs(dut.get());
    dut->ap_rst_n = 0;
    for (int i = 0; i < 16; ++i) { set_clk(dut.get(), 0); dut->eval(); set_clk(dut.get(), 1); dut->eval(); }
    dut->ap_rst_n = 1;

    auto done = [&]() {
        for (int j = 0; j < N_OUT; ++j) if (out_cycle[j].size() < n_frames * OUT_BEATS[j]) return false;
        return true;
    };
    uint64_t cycle = 0, idle = 0;
    std::vector<bool> offer(N_IN), fire(N_IN), ready(N_OUT);
    std::vector<unsigned long long> waiting(N_IN, 0), stalled(N_OUT, 0);
    while (!done() && cycle < max_cycles && idle < idle_limit) {
        set_clk(dut.get(), 0);
        for (int i = 0; i < N_IN; ++i) {
            const bool due = pos[i] % IN_BEATS[i] != 0 || cycle >= pos[i] / IN_BEATS[i] * frame_interval;
            const bool have = pos[i] < in[i].size() / IN_CHUNKS[i] && due;
            offer[i] = have && in_rng[i].pass(gap_pct);
            set_in(dut.get(), i, offer[i] ? &in[i][pos[i] * IN_CHUNKS[i]] : in[i].data(), offer[i]);
        }
        for (int j = 0; j < N_OUT; ++j) {
            ready[j] = out_rng[j].pass(stall_pct);
            set_out_ready(dut.get(), j, ready[j]);
        }
        dut->eval();
        ++idle;
        for (int i = 0; i < N_IN; ++i) {
            fire[i] = offer[i] && in_ready(dut.get(), i);
            waiting[i] = offer[i] && !fire[i];
        }
        for (int j = 0; j < N_OUT; ++j) {
            stalled[j] = out_valid(dut.get(), j) && !ready[j];
            if (out_valid(dut.get(), j) && ready[j] && out_cycle[j].size() < n_frames * OUT_BEATS[j]) {
                get_out(dut.get(), j, word.data());
                out[j].insert(out[j].end(), word.begin(), word.begin() + OUT_CHUNKS[j]);
                out_cycle[j].push_back(cycle);
                idle = 0;
            }
        }
        set_clk(dut.get(), 1);
        dut->eval();
        for (int i = 0; i < N_IN; ++i) {
            if (!fire[i]) continue;
            if (pos[i] % IN_BEATS[i] == 0) frame_start[i].push_back(cycle);
            ++pos[i];
        }
        ++cycle;
    }
    const bool deadlock = !done() && idle >= idle_limit;
    std::vector<unsigned long long> fifo_count(N_FIFOS), fifo_max(N_FIFOS), taken(N_IN), given(N_OUT);
    set_clk(dut.get(), 0);
    for (int k = 0; k < N_FIFOS; ++k) {
        read_gauge(dut.get(), k, &fifo_count[k], &fifo_max[k]);
    }
    dut->final();
    for (int j = 0; j < N_OUT; ++j) {
        write_all(prefix + std::to_string(j) + ".bin", out[j]);
        write_all(prefix + std::to_string(j) + ".bin.cycles", out_cycle[j]);
        given[j] = out_cycle[j].size();
    }
    for (int i = 0; i < N_IN; ++i) {
        write_all(prefix + "in" + std::to_string(i) + ".frames", frame_start[i]);
        taken[i] = pos[i];
    }
    std::printf("{\"cycles\": %llu, \"deadlock\": %s, \"timed_out\": %s, \"in_beats\": [%s], \"out_beats\": [%s], "
                "\"in_waiting\": [%s], \"out_stalled\": [%s], \"fifo_count\": [%s], \"fifo_max\": [%s]}\n",
                (unsigned long long)cycle, deadlock ? "true" : "false", !done() && !deadlock ? "true" : "false",
                join(taken).c_str(), join(given).c_str(), join(waiting).c_str(), join(stalled).c_str(),
                join(fifo_count).c_str(), join(fifo_max).c_str());
    return done() ? 0 : 1;
}
