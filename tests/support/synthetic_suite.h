#pragma once
// Synthetic measurements with known efficiencies, as kernels::run_suite would return them on
// an 8-GPU H100 machine: each point's time is computed from the efficiency it should fit
// back to, so a test can check that the fitted profile's lookups give those efficiencies
// back. Used by tests/calibrate and tests/cli (no GPU is needed).
#include <cmath>
#include <string>
#include <vector>

#include "moesim/hw/gpu_spec.h"
#include "moesim/kernels/runner.h"

namespace moesim::test {

inline kernels::DeviceInfo synthetic_h100_device() {
    kernels::DeviceInfo d;
    d.available = true;
    d.device_count = 8;
    d.name = "NVIDIA H100 80GB HBM3";
    d.sm_count = 132;
    d.cc_major = 9;
    d.cc_minor = 0;
    d.sm_clock_MHz = 1980;
    d.memory_clock_MHz = 2619;
    d.memory_bytes = 85e9;
    d.driver_version = "550.54.15";
    d.cuda_version = "12.4";
    d.nccl_available = true;
    d.nccl_version = "2.21.5";
    return d;
}

inline kernels::Measurement checked(kernels::Measurement m) {
    m.reference_ok = true;
    m.max_error = 1.5e-3;
    m.check_detail = "synthetic: against the CPU reference, tolerance 1e-2";
    return m;
}

// A GEMM at `efficiency` of the spec's dense peak of `dtype`.
inline kernels::Measurement gemm_point(const std::string& impl, const std::string& dtype, double m, double n, double k,
                                       double efficiency, const hw::GpuSpec& gpu) {
    kernels::Measurement p;
    p.kind = "gemm";
    p.impl = impl;
    p.dtype = dtype;
    p.shape = {{"m", m}, {"n", n}, {"k", k}};
    p.flops = 2 * m * n * k;
    p.TFLOPS = efficiency * (dtype == "fp8" ? gpu.fp8_dense_TFLOPS : gpu.bf16_dense_TFLOPS);
    p.time_s = p.flops / (p.TFLOPS * 1e12);
    const double b = dtype == "fp8" ? 1 : 2;
    p.bytes = m * k * b + n * k * b + m * n * 2;
    p.GBps = p.bytes / p.time_s / 1e9;
    return checked(p);
}

inline kernels::Measurement grouped_point(const std::string& layout, double groups, double m_per_group, double n,
                                          double k, double efficiency, const hw::GpuSpec& gpu) {
    kernels::Measurement p = gemm_point("moesim_grouped", "fp8", groups * m_per_group, n, k, efficiency, gpu);
    p.kind = "grouped_gemm";
    p.op = layout;
    p.shape = {{"groups", groups}, {"m_per_group", m_per_group}, {"n", n}, {"k", k}};
    return p;
}

// MLA decode at the rates `tflops` and `gbps` would give: FlashMLA's counts (PUBLISHED.md E)
// with the time set by whichever of the two is slower.
inline kernels::Measurement decode_point(double batch, double heads, double cached, double tflops, double gbps) {
    kernels::Measurement p;
    p.kind = "attention";
    p.impl = "moesim_mla";
    p.op = "decode";
    p.dtype = "bf16";
    p.shape = {{"batch", batch}, {"heads", heads}, {"cached_tokens", cached}, {"s_q", 1}};
    p.flops = 2 * batch * cached * heads * (576 + 512);
    p.bytes = 2 * (batch * cached * 576 + batch * heads * (576 + 512));
    p.TFLOPS = tflops;
    p.GBps = gbps;
    p.time_s = p.flops / (tflops * 1e12);
    return checked(p);
}

inline kernels::Measurement prefill_point(double batch, double heads, double seq, double tflops) {
    kernels::Measurement p;
    p.kind = "attention";
    p.impl = "moesim_mla";
    p.op = "prefill";
    p.dtype = "bf16";
    p.shape = {{"batch", batch}, {"heads", heads}, {"seq_len", seq}};
    p.flops = 2 * batch * heads * (192 + 128) * (seq * seq / 2);
    p.TFLOPS = tflops;
    p.time_s = p.flops / (tflops * 1e12);
    p.bytes = batch * seq * heads * (192 + 128 + 128) * 2;
    p.GBps = p.bytes / p.time_s / 1e9;
    return checked(p);
}

inline kernels::Measurement copy_point(double size_bytes, double efficiency, const hw::GpuSpec& gpu) {
    kernels::Measurement p;
    p.kind = "memory";
    p.impl = "hbm_copy";
    p.shape = {{"size_bytes", size_bytes}};
    p.bytes = 2 * size_bytes;  // read + write
    p.GBps = efficiency * gpu.hbm_GBps;
    p.time_s = p.bytes / (p.GBps * 1e9);
    return checked(p);
}

// Latency steps and bus factor of the flat forms of hw/costs.h.
inline double collective_steps(const std::string& op, int n) {
    return op == "all_reduce" ? 2.0 * (n - 1) : op == "send_recv" ? 1.0 : n - 1.0;
}
inline double collective_factor(const std::string& op, int n) {
    return op == "all_reduce" ? 2.0 * (n - 1) / n : op == "send_recv" ? 1.0 : (n - 1.0) / n;
}

// t = steps·α + factor·S/(B·e), nccl-tests algbw and busbw from it.
inline kernels::Measurement collective_point(const std::string& op, int ranks, double size_bytes, double alpha_s,
                                             double efficiency, const hw::GpuSpec& gpu) {
    kernels::Measurement p;
    p.kind = "collective";
    p.impl = "nccl";
    p.op = op;
    p.dtype = "bf16";
    p.shape = {{"size_bytes", size_bytes}, {"ranks", static_cast<double>(ranks)}};
    p.time_s = collective_steps(op, ranks) * alpha_s +
               collective_factor(op, ranks) * size_bytes / (gpu.nvlink_GBps * 1e9 * efficiency);
    p.algbw_GBps = size_bytes / p.time_s / 1e9;
    p.busbw_GBps = p.algbw_GBps * collective_factor(op, ranks);
    p.bytes = size_bytes;
    p.GBps = p.algbw_GBps;
    return checked(p);
}

// The bandwidth efficiency the synthetic NCCL sweeps are built with: 0.05 up to 64 KiB (the
// latency fit's range, where the times are then exactly linear in S), rising linearly in
// log2(S) to `top` at 256 MiB, flat above.
inline double synthetic_collective_efficiency(double size_bytes, double top) {
    const double lo = 64.0 * 1024, hi = 256.0 * 1024 * 1024;
    if (size_bytes <= lo) return 0.05;
    if (size_bytes >= hi) return top;
    return 0.05 + (top - 0.05) * std::log2(size_bytes / lo) / std::log2(hi / lo);
}

// What the suite is built from, so tests can compare against it.
struct SyntheticKnown {
    // FP8 block-scaled GEMM, N 7168 K 2048, at M = 64, 128, 4096.
    std::vector<double> fp8_m = {64, 128, 4096};
    std::vector<double> fp8_eff = {0.15, 0.26, 0.59};
    double cublas_fp8_eff = 0.7;  // faster, but not the kernel the workload runs
    double bf16_eff = 0.8;        // cuBLASLt BF16 2048 x 2048 x 13312, the fastest BF16 kernel there
    double grouped_contiguous_eff = 0.68, grouped_masked_eff = 0.47;
    double decode_TFLOPS = 640, decode_GBps = 3000, prefill_TFLOPS = 600;
    std::vector<double> copy_bytes = {2 * 1048576.0, 2 * 67108864.0, 2 * 1073741824.0};
    std::vector<double> copy_eff = {0.5, 0.85, 0.9};
    double all_reduce_alpha_s = 4e-6, all_gather_alpha_s = 3e-6;
    double all_reduce_top = 0.9, all_gather_top = 0.8;
    int ranks = 8;
    // NCCL sizes 1 KiB ... 1 GiB, x4.
    std::vector<double> sizes() const {
        std::vector<double> s;
        for (double b = 1024; b <= 1073741824.0; b *= 4) s.push_back(b);
        return s;
    }
};

inline std::vector<kernels::Measurement> synthetic_suite(const hw::GpuSpec& gpu, const SyntheticKnown& k = {}) {
    std::vector<kernels::Measurement> s;
    for (std::size_t i = 0; i < k.fp8_m.size(); ++i) {
        s.push_back(gemm_point("cublaslt", "fp8", k.fp8_m[i], 7168, 2048, k.cublas_fp8_eff, gpu));
        s.push_back(gemm_point("moesim_fp8_block", "fp8", k.fp8_m[i], 7168, 2048, k.fp8_eff[i], gpu));
    }
    s.push_back(gemm_point("cublaslt", "bf16", 2048, 2048, 13312, k.bf16_eff, gpu));
    s.push_back(gemm_point("moesim_bf16", "bf16", 2048, 2048, 13312, k.bf16_eff * 0.75, gpu));  // the slower one
    s.push_back(grouped_point("masked", 4, 256, 4096, 7168, k.grouped_masked_eff, gpu));
    s.push_back(grouped_point("contiguous", 4, 8192, 4096, 7168, k.grouped_contiguous_eff, gpu));
    // Decode: memory-bound at 16 heads, compute-bound at 128.
    s.push_back(decode_point(128, 16, 4096, 200, k.decode_GBps));
    s.push_back(decode_point(128, 128, 4096, k.decode_TFLOPS, 2500));
    s.push_back(prefill_point(4, 128, 1024, 450));
    s.push_back(prefill_point(4, 128, 4096, k.prefill_TFLOPS));
    for (std::size_t i = 0; i < k.copy_bytes.size(); ++i) s.push_back(copy_point(k.copy_bytes[i] / 2, k.copy_eff[i], gpu));
    for (double size : k.sizes()) {
        s.push_back(collective_point("all_reduce", k.ranks, size, k.all_reduce_alpha_s,
                                     synthetic_collective_efficiency(size, k.all_reduce_top), gpu));
        s.push_back(collective_point("all_gather", k.ranks, size, k.all_gather_alpha_s,
                                     synthetic_collective_efficiency(size, k.all_gather_top), gpu));
        // A 2-rank sweep too: the fit takes the series with the most ranks.
        s.push_back(collective_point("all_reduce", 2, size, 1e-6, 0.3, gpu));
    }
    kernels::Measurement permute;
    permute.kind = "permute";
    permute.impl = "moesim_permute";
    permute.dtype = "bf16";
    permute.shape = {{"tokens", 4096}, {"hidden", 7168}, {"top_k", 8}, {"experts", 256}};
    permute.bytes = 2 * 4096 * 8 * 7168 * 2;
    permute.GBps = 2000;
    permute.time_s = permute.bytes / 2000e9;
    s.push_back(checked(permute));
    return s;
}

}  // namespace moesim::test
