#pragma once
// GPU specifications: datasheet peaks, every key with its unit. Achieved fractions of these
// peaks live in the calibration profile (calibration_profile.h), never here.
//
// Spec file (JSON), every key required unless marked:
//   name               string
//   sm_count           int      streaming multiprocessors
//   clock_MHz          number   boost clock the dense peaks are computed at
//   hbm_bytes          number   HBM capacity
//   hbm_GBps           number   peak HBM bandwidth (1 GB = 1e9 B)
//   bf16_dense_TFLOPS  number   dense (no sparsity) BF16 tensor-core peak
//   fp8_dense_TFLOPS   number   dense FP8 tensor-core peak
//   nvlink_GBps        number   NVLink bandwidth per GPU, per direction
//   nics_per_gpu       int      optional, default 1 (scale-out NICs per GPU)
//   nic_Gbps           number   optional, default 400 (line rate of one NIC, gigabits)
//   tdp_W              number   board power
//   runtime_reserve_bytes   number  optional, default 758,120,448 (723 MiB): the CUDA context and
//                      library workspaces every process holds before its first tensor
//   ep_buffer_bytes    number   optional, default 3e9, may be 0: DeepEP's communication buffers
//                      (NVLink 2e9 + RDMA 1e9 B), held by each GPU of an expert-parallel group
//   fragmentation_fraction  number  optional, default 0.15, in [0, 1): share of the caching
//                      allocator's pool for short-lived tensors (activations, workspaces) that
//                      fragmentation leaves unusable
//   sources            object   optional: field name -> citation text
// hbm_bytes is what the CUDA runtime reports (totalGlobalMem) for every GPU, not the marketing
// capacity; the three reserve fields are taken from it by memory_reserve.h. Citations of the
// defaults: docs/PUBLISHED.md B.
// Unknown keys are errors.
#include <map>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moesim/common/value_range.h"
#include "moesim/hw/types.h"

namespace moesim::hw {

struct GpuSpec {
    std::string name;
    int sm_count = 0;
    double clock_MHz = 0;
    double hbm_bytes = 0;
    double hbm_GBps = 0;
    double bf16_dense_TFLOPS = 0;
    double fp8_dense_TFLOPS = 0;
    double nvlink_GBps = 0;
    int nics_per_gpu = 1;
    double nic_Gbps = 400;
    double tdp_W = 0;
    // Defaults cited in docs/PUBLISHED.md B "Memory reserve".
    double runtime_reserve_bytes = 758120448;  // 723 MiB
    double ep_buffer_bytes = 3e9;
    double fragmentation_fraction = 0.15;
    std::map<std::string, std::string> sources;

    // Scale-out bandwidth of one GPU, per direction: nics_per_gpu · nic_Gbps / 8.
    double nic_GBps() const { return nics_per_gpu * nic_Gbps / 8.0; }
};

// Built-in names ("H100", "H200", "H800"), sorted.
std::vector<std::string> builtin_gpu_names();

// A built-in GPU by name (case-insensitive), or a spec file: `name_or_path` containing '/'
// or ending in ".json" is a path, resolved against `base_dir` when relative. `overrides`
// (an object, may be null/empty) then sets any field by name, e.g. {"nvlink_GBps": 160}.
// Throws ScenarioError: unknown GPU name ("/cluster/gpu", with did-you-mean), malformed
// spec file (that file and the JSON path inside it), unknown override field or
// non-positive value ("/cluster/gpu_overrides/<key>", with did-you-mean).
GpuSpec load_gpu(const std::string& name_or_path, const std::string& base_dir,
                 const nlohmann::json& overrides);

// Parse one spec document; `file` names it in errors.
GpuSpec parse_gpu_spec(const nlohmann::json& j, const std::string& file);

// The documented range of every numeric GPU-spec key (also applied to gpu_overrides).
std::span<const ValueRange> gpu_spec_ranges();

// Every field, with the same keys as the spec file (for `moesim gpus --json`).
nlohmann::json to_json(const GpuSpec& gpu);

// Dense tensor-core peak for `dtype` inputs, in TFLOPS.
double dense_peak_TFLOPS(const GpuSpec& gpu, Dtype dtype);

}  // namespace moesim::hw
