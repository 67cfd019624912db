// Helpers for Verilator testbenches: move words of any width between uint32 chunk arrays
// (little-endian chunks, as written by hwcodesign) and Verilator port types
// (CData/SData/IData/QData for <= 64 bits, VlWide<N> above).
#pragma once
#include <cstdint>
#include <type_traits>

#include "verilated.h"

template <typename T>
inline std::enable_if_t<std::is_integral_v<T>> put_word(T &port, const uint32_t *chunks) {
    uint64_t v = chunks[0];
    if (sizeof(T) > 4) v |= static_cast<uint64_t>(chunks[1]) << 32;
    port = static_cast<T>(v);
}

template <std::size_t N>
inline void put_word(VlWide<N> &port, const uint32_t *chunks) {
    for (std::size_t i = 0; i < N; ++i) port[i] = chunks[i];
}

template <typename T>
inline std::enable_if_t<std::is_integral_v<T>> get_word(const T &port, uint32_t *chunks) {
    const uint64_t v = static_cast<uint64_t>(port);
    chunks[0] = static_cast<uint32_t>(v);
    if (sizeof(T) > 4) chunks[1] = static_cast<uint32_t>(v >> 32);
}

template <std::size_t N>
inline void get_word(const VlWide<N> &port, uint32_t *chunks) {
    for (std::size_t i = 0; i < N; ++i) chunks[i] = port[i];
}
