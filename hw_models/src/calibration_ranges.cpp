#include "moesim/hw/calibration_ranges.h"

namespace moesim::hw {

namespace {

constexpr double k2_16 = 65536, k2_24 = 16777216, k2_31 = 2147483648.0;

constexpr ValueRange kRanges[] = {
    {"/m", 1, k2_24},
    {"/n", 1, k2_24},
    {"/k", 1, k2_24},
    {"/groups", 1, k2_16},
    {"/m_per_group", 1, k2_24},
    {"/seq_len", 1, k2_24},
    {"/tokens", 1, k2_31},
    {"/hidden", 1, k2_24},
    {"/top_k", 1, k2_16},
    {"/num_experts", 1, k2_16},
    {"/ep", 1, k2_16},
    {"/gpus_per_node", 1, 1024},
    {"/max_nodes_per_token", 0, k2_16},
    {"/size_bytes", 1, 1e15},
    {"/latency_us", 0, 1e9},
    {"/dispatch_us", 1e-3, 1e9},
    {"/combine_us", 1e-3, 1e9},
    {"/dispatch_GBps", 1e-3, 1e6},
    {"/combine_GBps", 1e-3, 1e6},
    {"/GBps", 1e-3, 1e6},
    {"/TFLOPS", 1e-3, 1e5},
    {"/bf16_dense_TFLOPS", 1, 1e5},
    {"/fp8_dense_TFLOPS", 1, 1e5},
    {"/hbm_GBps", 1e-3, 1e6},
    {"/nvlink_GBps", 1e-3, 1e6},
    {"/nic_GBps", 1e-3, 1e6},
};

}  // namespace

std::span<const ValueRange> calibration_ranges() { return kRanges; }

}  // namespace moesim::hw
