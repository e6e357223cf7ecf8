// One row per numeric scenario key. Paths are JSON pointers; "*" matches one token (both
// serving pools). Every bound is inclusive.
#include "moesim/workload/scenario_ranges.h"

namespace moesim::workload {

namespace {

constexpr double k2_10 = 1024, k2_16 = 65536, k2_20 = 1048576, k2_24 = 16777216;

constexpr ValueRange kRanges[] = {
    {"/cluster/nodes", 1, k2_16},
    {"/cluster/gpus_per_node", 1, k2_10},
    {"/cluster/network/nics_per_node", 1, k2_10},
    {"/cluster/network/nic_Gbps", 1e-3, 1e6},
    {"/cluster/network/oversubscription", 1, 1e3},
    {"/cluster/gpu_hour_usd", 0, 1e6},
    {"/parallelism/tp", 1, k2_10},
    {"/parallelism/pp", 1, 4096},
    {"/parallelism/dp", 1, k2_20},
    {"/parallelism/ep", 1, k2_16},
    {"/parallelism/virtual_stages", 1, 4096},
    {"/parallelism/stage_layers/*", 1, 4096},
    {"/parallelism/micro_batch_size", 1, k2_20},
    {"/parallelism/comm_sms", 0, k2_10},
    {"/training/seq_len", 1, k2_24},
    {"/training/global_batch_size", 1, k2_24},
    {"/training/total_tokens", 1, 1e16},
    {"/training/steps", 1, 1000},
    {"/training/moe/max_nodes_per_token", 0, k2_16},
    {"/training/moe/redundant_experts", 0, k2_16},
    {"/training/moe/expert_load/alpha", 1e-6, 100},
    {"/training/moe/expert_load/concentration", 1e-6, 1e6},
    {"/inference/*/instances", 1, k2_16},
    {"/inference/*/nodes", 1, k2_16},
    {"/inference/*/attn_tp", 1, k2_10},
    {"/inference/*/ep", 1, k2_16},
    {"/inference/*/micro_batches", 1, 64},
    {"/inference/*/redundant_experts", 0, k2_16},
    {"/inference/prefill/max_batch_tokens", 1, k2_24},
    {"/inference/decode/max_batch_per_gpu", 1, k2_16},
    {"/inference/decode/overlap_stages", 1, 16},
    {"/inference/decode/mtp/draft_tokens", 0, 16},
    {"/inference/decode/mtp/acceptance", 0, 1},
    {"/inference/traffic/duration_s", 1e-3, 1e6},
    {"/inference/traffic/requests_per_s", 1e-6, 1e6},
    {"/inference/traffic/*/mean", 1, k2_20},
    {"/inference/traffic/*/sigma", 1e-6, 10},
    {"/inference/traffic/*/min", 1, k2_20},
    {"/inference/traffic/*/max", 1, k2_20},
    {"/inference/traffic/prefix_cache_hit_rate", 0, 1},
    {"/inference/slo/ttft_p99_ms", 1e-3, 1e9},
    {"/inference/slo/tpot_p99_ms", 1e-3, 1e9},
};

}  // namespace

std::span<const ValueRange> scenario_ranges() { return kRanges; }

}  // namespace moesim::workload
