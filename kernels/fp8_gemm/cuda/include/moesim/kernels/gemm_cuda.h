#pragma once
// The tensor-core GEMM behind the FP8 block-scaled GEMM and the MoE grouped GEMMs (C++17,
// includable from .cu files): D (BF16) = A · Bᵀ with A and B K-major, FP32 accumulation.
//   Fp8BlockScaled: A, B E4M3 codes; A scales one per row and 128 of K (a_scales[row][k/128]),
//     B scales one per 128 × 128 block (b_scales[group][n/128][k/128]); each 128-element K block
//     is accumulated on its own and then promoted into the FP32 result times both scales
//     (DeepSeek-V3 §3.3.2; kernels/fp8_gemm reference).
//   Bf16: A, B BF16, no scales.
// Layouts (DeepGEMM's m_grouped GEMMs):
//   Dense: one group; A m × k, B n × k, D m × n.
//   Contiguous: A and D stack every group's rows (m = their total); m_indices[row] names the
//     group of each row (−1 for padding); each group's rows start at a multiple of 128, so a
//     128-row tile belongs to one group. B holds groups × n × k.
//   Masked: A groups × m × k, D groups × m × n, and only the first masked_m[g] rows of group g
//     are computed (the rest of D is left as it was).
// Requirements (checked, InternalError naming file:line): k a multiple of 128 (FP8) or 64
// (BF16); n even; 16-byte aligned A and B.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace moesim::kernels {

enum class GemmInput { Fp8BlockScaled, Bf16 };
enum class GemmLayout { Dense, Contiguous, Masked };

// Auto: FP8 tensor-core MMAs (mma.sync …e4m3) where the kernel was compiled for sm_89 or newer,
// else the portable path. Portable: each E4M3 pair is converted exactly to BF16 in registers and
// multiplied by BF16 tensor-core MMAs (sm_80+), same accumulation and promotion; chosen
// explicitly it lets an sm_90 GPU check the path other GPUs run.
enum class Fp8MmaPath { Auto, Portable };

struct GemmArgs {
    GemmInput input = GemmInput::Fp8BlockScaled;
    GemmLayout layout = GemmLayout::Dense;
    Fp8MmaPath path = Fp8MmaPath::Auto;
    int m = 0, n = 0, k = 0;  // m: rows of A per group (Masked) or in all (Dense, Contiguous)
    int groups = 1;
    const void* a = nullptr;         // E4M3 codes or BF16
    const void* b = nullptr;
    const float* a_scales = nullptr;  // Fp8BlockScaled only
    const float* b_scales = nullptr;
    const int* m_indices = nullptr;   // Contiguous: m entries
    const int* masked_m = nullptr;    // Masked: groups entries
    std::uint16_t* d = nullptr;       // BF16
};

// Launches on `stream`; throws InternalError for arguments that break the requirements and
// CudaError when the launch fails.
void launch_gemm(const GemmArgs& args, cudaStream_t stream);

// What Auto resolves to for the current device's kernel image: true when the FP8 MMA path was
// compiled in (sm_89+ machine code), for labelling measurements.
bool gemm_uses_fp8_mma();

}  // namespace moesim::kernels
