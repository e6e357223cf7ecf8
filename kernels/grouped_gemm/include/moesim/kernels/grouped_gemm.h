#pragma once
// MoE grouped GEMM over experts, as DeepGEMM's m_grouped GEMMs define it (one GEMM per expert
// group, all sharing n and k): D_g = A_g · B_gᵀ for g < groups.
//   Contiguous (training forward, prefill): the tokens routed to each expert are stacked in one
//     A of M_sum rows; each group's rows start at a multiple of 128 (DeepGEMM's
//     get_m_alignment_for_contiguous_layout()), the gap padded; m_indices[row] is the row's
//     group, −1 for padding.
//   Masked (decode, with CUDA graphs): A is groups × m_max × k and only the first masked_m[g]
//     rows of each group hold tokens.
// The CPU reference is the dense one (kernels/fp8_gemm) applied per group; the FP8 variant
// uses V3's block scaling, with A's scales stacked like A and B's per group.
#include <cstdint>
#include <span>
#include <vector>

#include "moesim/kernels/bf16_gemm.h"
#include "moesim/kernels/fp8_gemm.h"

namespace moesim::kernels {

inline constexpr int kContiguousAlignment = 128;

// A grouped problem as the suite names it: `groups` experts, n × k weights each, and
// m_per_group tokens each (contiguous: rows per group; masked: masked_m of every group and m_max).
struct GroupedGemmShape {
    int groups = 0, m_per_group = 0, n = 0, k = 0;
};

// Where group g's rows sit in the stacked A (and D): rows first_row .. first_row + rows − 1.
struct GroupRows {
    int first_row = 0, rows = 0;
};

// The contiguous layout of groups with these row counts: total rows (a multiple of
// `alignment`), each group's place, and m_indices (−1 in the padding).
struct ContiguousLayout {
    int total_rows = 0;
    std::vector<GroupRows> groups;
    std::vector<int> m_indices;
};
ContiguousLayout contiguous_layout(std::span<const int> rows_per_group, int alignment = kContiguousAlignment);

// The masked layout's places: group g starts at g · m_max and holds masked_m[g] ≤ m_max rows.
std::vector<GroupRows> masked_groups(std::span<const int> masked_m, int m_max);

// Reference elements at stacked rows × columns. Every row must lie inside one group's rows.
// A (and a_scales) are the stacked arrays; B (and b_scales) hold groups × n × k.
std::vector<GemmElement> grouped_fp8_reference_at(std::span<const GroupRows> groups, int n, int k,
                                                  std::span<const std::uint8_t> a, std::span<const float> a_scales,
                                                  std::span<const std::uint8_t> b, std::span<const float> b_scales,
                                                  std::span<const int> rows, std::span<const int> cols);
std::vector<GemmElement> grouped_bf16_reference_at(std::span<const GroupRows> groups, int n, int k,
                                                   std::span<const std::uint16_t> a, std::span<const std::uint16_t> b,
                                                   std::span<const int> rows, std::span<const int> cols);

// Analytic counts over the rows that hold tokens (DeepGEMM's test_core.py, PUBLISHED.md E):
//   FLOPs = 2 · M · n · k;  FP8 bytes = M·k + G·n·k + 2·M·n;  BF16 bytes = 2·(M·k + G·n·k + M·n)
// with M = Σ rows of the groups and G the number of groups.
double grouped_gemm_flops(std::span<const GroupRows> groups, int n, int k);
double grouped_gemm_bytes(std::span<const GroupRows> groups, int n, int k, bool fp8);

}  // namespace moesim::kernels
