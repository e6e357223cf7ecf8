#pragma once
// Token permute / unpermute on the GPU (C++17, includable from .cu files); what each computes
// is moe_permute.h's reference, bit for bit.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace moesim::kernels {

// The plan: per-expert counts and the stable rank of every assignment among its expert's
// (one CTA per expert scans the assignments in order), the 128-aligned segment starts
// (first_row[experts] = total rows), m_indices over `capacity_rows` (−1 in padding and beyond
// the total), and row_of for every assignment. All arrays are device memory.
struct PermutePlanArgs {
    int tokens = 0, top_k = 0, experts = 0, alignment = 128;
    const int* topk_ids = nullptr;   // tokens · top_k
    int* rank = nullptr;             // tokens · top_k (workspace)
    int* count = nullptr;            // experts
    int* first_row = nullptr;        // experts + 1
    int* row_of = nullptr;           // tokens · top_k
    int* m_indices = nullptr;        // capacity_rows
    int capacity_rows = 0;           // ≥ tokens·top_k + experts·(alignment − 1)
};
void launch_permute_plan(const PermutePlanArgs& args, cudaStream_t stream);

// out[row_of[t·top_k + j]] = x[t] for every assignment; rows of row_bytes (a multiple of 16).
void launch_permute_rows(const void* x, int row_bytes, int tokens, int top_k, const int* row_of, void* out,
                         cudaStream_t stream);

// out[t] = BF16(Σ_j weights[t·top_k + j] · y[row_of[t·top_k + j]]), hidden a multiple of 8.
void launch_unpermute(const std::uint16_t* y, int hidden, const float* weights, const int* row_of, int tokens,
                      int top_k, std::uint16_t* out, cudaStream_t stream);

}  // namespace moesim::kernels
