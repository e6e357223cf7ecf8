#pragma once
// Baselines that anchor the ceilings the other kernels are judged against (issue 6): an HBM
// copy (the memory-bandwidth roof for MLA decode, permute and small-M GEMMs) and cuBLASLt BF16
// and FP8 GEMMs (the vendor's dense GEMM at the same shapes). Their CPU references are the
// GEMM references of kernels/fp8_gemm; this header holds their analytic counts.
namespace moesim::kernels {

// A copy of size_bytes reads and writes each byte once: 2 · size_bytes of HBM traffic.
double hbm_copy_bytes(double size_bytes);

// cuBLASLt FP8 GEMM with per-tensor scales: FP8 A and B, BF16 D (the DeepGEMM count without
// scales, so that the two compare directly).
double cublaslt_fp8_gemm_bytes(double m, double n, double k);

}  // namespace moesim::kernels
