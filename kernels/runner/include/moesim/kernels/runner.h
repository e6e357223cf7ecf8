#pragma once
// The contract between the bundled kernels and `moesim calibrate` (issue 6): what GPU is
// here, and a run of the benchmark suite that returns every measured point with the check of
// its result against the CPU reference. Built everywhere: without CUDA (nvcc not found at
// configure time) query_device() says so and run_suite() throws KernelUnavailable.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace moesim::kernels {

struct DeviceInfo {
    bool available = false;           // a usable CUDA GPU is present and this build has CUDA
    std::string unavailable_reason;   // when !available: "built without CUDA (nvcc was not found
                                      // at configure time)", "no CUDA device: <cuda error>", …
    int device_count = 0;
    std::string name;                 // e.g. "NVIDIA H100 80GB HBM3"
    int sm_count = 0;
    int cc_major = 0, cc_minor = 0;
    double sm_clock_MHz = 0, memory_clock_MHz = 0;
    double memory_bytes = 0;
    std::string driver_version, cuda_version;  // e.g. "12.4"
    bool nccl_available = false;
    std::string nccl_version;         // e.g. "2.21.5"; empty when !nccl_available
    std::string nccl_unavailable_reason;  // when !nccl_available: why ("cannot load NCCL (…): …");
                                          // this process's, not kept in measurement files
};

DeviceInfo query_device();

// One measured point. `shape` keys by kind:
//   gemm:          m, n, k                       (impl "moesim_fp8_block", "cublaslt")
//   grouped_gemm:  groups, m_per_group, n, k     (layout "contiguous" | "masked")
//   attention:     batch, heads, cached_tokens (decode) | seq_len (prefill)
//   memory:        size_bytes                    (impl "hbm_copy")
//   collective:    size_bytes, ranks             (op "all_reduce" | "all_gather" |
//                  "reduce_scatter" | "all_to_all" | "send_recv"; nccl-tests algbw/busbw)
//   permute:       tokens, hidden, top_k, experts
struct Measurement {
    std::string kind;      // "gemm" | "grouped_gemm" | "attention" | "memory" | "collective" | "permute"
    std::string impl;      // which kernel measured it
    std::string op;        // attention: "decode" | "prefill"; collective: the op; grouped: layout
    std::string dtype;     // "fp8" | "bf16" ("" where it does not apply)
    std::map<std::string, double> shape;
    double time_s = 0;     // median over the timed repetitions
    double flops = 0;      // analytic counts the rates below come from
    double bytes = 0;
    double TFLOPS = 0;
    double GBps = 0;
    double algbw_GBps = 0, busbw_GBps = 0;  // collectives only, as nccl-tests computes them
    bool reference_ok = false;              // result agreed with the CPU reference
    double max_error = 0;                   // the largest error found by that check
    std::string check_detail;               // what was compared, and the tolerance
};

struct SuitePlan {
    bool quick = false;    // a few shapes per kernel (minutes), else the full sweep
    int warmup = 3, repetitions = 10;
    std::vector<std::string> kinds = {};  // only points of these Measurement kinds; empty = every kind
};

struct KernelUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs every kernel of the plan on device 0 (NCCL collectives over all devices present),
// calling `progress` after each point. Throws KernelUnavailable when query_device() is not
// available, and std::runtime_error with file:line for CUDA/NCCL failures.
std::vector<Measurement> run_suite(const SuitePlan& plan,
                                   const std::function<void(const Measurement&)>& progress = {});

}  // namespace moesim::kernels
