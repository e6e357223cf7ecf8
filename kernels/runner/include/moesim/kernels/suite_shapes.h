#pragma once
// The shapes `moesim calibrate` measures: DeepSeek-V3's (PUBLISHED.md E, the DeepGEMM and
// FlashMLA benchmark tables) plus a sweep around them, so that the fitted tables cover the
// shapes a scenario asks about; `quick` keeps a few of each (minutes instead of the full sweep).
#include <string>
#include <vector>

#include "moesim/kernels/fp8_gemm.h"
#include "moesim/kernels/grouped_gemm.h"
#include "moesim/kernels/mla_decode.h"
#include "moesim/kernels/mla_prefill.h"
#include "moesim/kernels/moe_permute.h"

namespace moesim::kernels {

struct SuiteShapes {
    std::vector<double> copy_sizes_bytes;  // HBM copy
    std::vector<GemmShape> gemm;           // dense GEMMs: moesim FP8 block-scaled and BF16, cuBLASLt
                                           // BF16/FP8; includes the dense equivalent (M = groups ·
                                           // m_per_group) of every contiguous grouped shape
    std::vector<GroupedGemmShape> grouped_contiguous, grouped_masked;  // FP8 and BF16 each
    std::vector<double> collective_sizes_bytes;  // NCCL sweep, every collective
    std::vector<PermuteShape> permute;           // permute (BF16, FP8) and unpermute
    std::vector<MlaDecodeShape> mla_decode;
    std::vector<MlaPrefillShape> mla_prefill;
};

// FlashMLA's benchmark grid (PUBLISHED.md E): batch 128, s_q 1 and 2, h_q 16..128, s_k 4096 and
// 8192 (fixed lengths here; FlashMLA can also draw them).
std::vector<MlaDecodeShape> flashmla_decode_grid();

SuiteShapes suite_shapes(bool quick);

// The Measurement kinds the suite produces, in the order it runs them (SuitePlan::kinds
// selects among these).
std::vector<std::string> suite_kinds();

// The six V3 GEMM (N, K) pairs of PUBLISHED.md E: q_a+kv_a, q_b, kv_b, o_proj, expert
// gate+up, expert down.
std::vector<GemmShape> v3_gemm_nk();

// The grouped GEMMs of PUBLISHED.md E (DeepGEMM's table): contiguous 4 × 8192 and 8 × 4096,
// masked 1 × 1024, 2 × 512, 4 × 256, each at the expert (N, K) pairs 4096 × 7168 (gate+up) and
// 7168 × 2048 (down).
std::vector<GroupedGemmShape> v3_grouped_contiguous();
std::vector<GroupedGemmShape> v3_grouped_masked();

}  // namespace moesim::kernels
