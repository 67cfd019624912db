// Verilator testbench for a da4ml pipeline (its <name>_wrapper module: clk, model_inp,
// model_out). It streams one new sample into the design on EVERY clock edge (II=1) and
// records model_out after every edge, so latency and initiation interval can be measured
// from the data: the host finds the lag at which each recorded output equals the
// reference output of the sample fed that many cycles earlier.
//
// Compile-time parameters come from tb_config.h (written next to the build): TOP_CLASS and
// its header, N_INP, N_OUT, INP_BW, OUT_BW.
// Usage: <sim> inputs.bin n_samples outputs.bin n_cycles
//   inputs.bin:  int32, n_samples x N_INP, each value already scaled to integer LSBs
//   outputs.bin: int32, n_cycles x N_OUT, raw output bits (sign handled by the host)
// Prints one JSON line: cycles simulated and wall seconds of the simulation loop.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "ioutil.hh"  // da4ml's bit packing helpers (copied next to its RTL)
#include "tb_config.h"
#include "verilated.h"

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s inputs.bin n_samples outputs.bin n_cycles\n", argv[0]);
        return 2;
    }
    const size_t n_samples = std::strtoull(argv[2], nullptr, 10);
    const size_t n_cycles = std::strtoull(argv[4], nullptr, 10);

    std::vector<int32_t> inp(n_samples * N_INP);
    FILE *fi = std::fopen(argv[1], "rb");
    if (!fi || std::fread(inp.data(), sizeof(int32_t), inp.size(), fi) != inp.size()) {
        std::fprintf(stderr, "cannot read %zu samples from %s\n", n_samples, argv[1]);
        return 3;
    }
    std::fclose(fi);

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(1, argv);
    auto dut = std::make_unique<TOP_CLASS>(ctx.get());
    std::vector<int32_t> out(n_cycles * N_OUT);
    const std::vector<int32_t> idle(N_INP, 0);

    dut->clk = 0;
    dut->eval();
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t t = 0; t < n_cycles; ++t) {
        const int32_t *sample = t < n_samples ? &inp[t * N_INP] : idle.data();
        write_input<N_INP, INP_BW>(dut->model_inp, sample);
        dut->clk = 1;
        dut->eval();
        read_output<N_OUT, OUT_BW>(dut->model_out, &out[t * N_OUT]);
        dut->clk = 0;
        dut->eval();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    dut->final();

    FILE *fo = std::fopen(argv[3], "wb");
    if (!fo || std::fwrite(out.data(), sizeof(int32_t), out.size(), fo) != out.size()) {
        std::fprintf(stderr, "cannot write %s\n", argv[3]);
        return 4;
    }
    std::fclose(fo);
    std::printf("{\"cycles\": %zu, \"samples\": %zu, \"seconds\": %.6f}\n", n_cycles, n_samples,
                seconds);
    return 0;
}
