#include "moesim/kernels/grouped_gemm.h"

#include <algorithm>
#include <string>

#include "moesim/common/error.h"

namespace moesim::kernels {
namespace {

double total_rows(std::span<const GroupRows> groups) {
    double m = 0;
    for (const GroupRows& g : groups) m += g.rows;
    return m;
}

// Calls `per_group(g, local_rows)` for each group holding some of `rows`, with those rows made
// local to the group; then maps the elements' rows back to stacked rows.
template <typename PerGroup>
std::vector<GemmElement> per_group_elements(std::span<const GroupRows> groups, std::span<const int> rows,
                                            PerGroup&& per_group) {
    std::vector<GemmElement> out;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        std::vector<int> local;
        for (int r : rows)
            if (r >= groups[g].first_row && r < groups[g].first_row + groups[g].rows)
                local.push_back(r - groups[g].first_row);
        if (local.empty()) continue;
        for (GemmElement e : per_group(g, local)) {
            e.row += groups[g].first_row;
            out.push_back(e);
        }
    }
    std::size_t covered = 0;
    for (int r : rows)
        for (const GroupRows& gr : groups)
            if (r >= gr.first_row && r < gr.first_row + gr.rows) {
                ++covered;
                break;
            }
    MOESIM_CHECK(covered == rows.size(), "grouped reference: a row lies in no group's rows");
    return out;
}

void check_groups(std::span<const GroupRows> groups, std::size_t a_rows) {
    MOESIM_CHECK(!groups.empty(), "grouped gemm: no groups");
    for (const GroupRows& g : groups)
        MOESIM_CHECK(g.first_row >= 0 && g.rows >= 0 &&
                         static_cast<std::size_t>(g.first_row) + static_cast<std::size_t>(g.rows) <= a_rows,
                     "grouped gemm: a group's rows lie outside A");
}

}  // namespace

ContiguousLayout contiguous_layout(std::span<const int> rows_per_group, int alignment) {
    MOESIM_CHECK(!rows_per_group.empty() && alignment > 0, "contiguous_layout: no groups or alignment");
    ContiguousLayout layout;
    for (int rows : rows_per_group) {
        MOESIM_CHECK(rows >= 0, "contiguous_layout: negative row count");
        layout.groups.push_back({layout.total_rows, rows});
        layout.total_rows += (rows + alignment - 1) / alignment * alignment;
    }
    layout.m_indices.assign(static_cast<std::size_t>(layout.total_rows), -1);
    for (std::size_t g = 0; g < layout.groups.size(); ++g)
        std::fill_n(layout.m_indices.begin() + layout.groups[g].first_row, layout.groups[g].rows, static_cast<int>(g));
    return layout;
}

std::vector<GroupRows> masked_groups(std::span<const int> masked_m, int m_max) {
    MOESIM_CHECK(!masked_m.empty() && m_max > 0, "masked_groups: no groups or m_max");
    std::vector<GroupRows> out;
    for (std::size_t g = 0; g < masked_m.size(); ++g) {
        MOESIM_CHECK(masked_m[g] >= 0 && masked_m[g] <= m_max, "masked_groups: masked_m outside 0..m_max");
        out.push_back({static_cast<int>(g) * m_max, masked_m[g]});
    }
    return out;
}

std::vector<GemmElement> grouped_fp8_reference_at(std::span<const GroupRows> groups, int n, int k,
                                                  std::span<const std::uint8_t> a, std::span<const float> a_scales,
                                                  std::span<const std::uint8_t> b, std::span<const float> b_scales,
                                                  std::span<const int> rows, std::span<const int> cols) {
    MOESIM_CHECK(n > 0 && k > 0 && a.size() % static_cast<std::size_t>(k) == 0, "grouped fp8: A is not rows × k");
    check_groups(groups, a.size() / static_cast<std::size_t>(k));
    const auto kt = static_cast<std::size_t>(scale_tiles(k));
    const auto nk = static_cast<std::size_t>(n) * k, b_scale_count = static_cast<std::size_t>(scale_tiles(n)) * kt;
    MOESIM_CHECK(b.size() == groups.size() * nk && b_scales.size() == groups.size() * b_scale_count,
                 "grouped fp8: B and its scales must hold groups × n × k");
    MOESIM_CHECK(a_scales.size() == a.size() / static_cast<std::size_t>(k) * kt, "grouped fp8: A scales");
    return per_group_elements(groups, rows, [&](std::size_t g, const std::vector<int>& local) {
        const auto r0 = static_cast<std::size_t>(groups[g].first_row), m = static_cast<std::size_t>(groups[g].rows);
        const Fp8GemmParams p{groups[g].rows, n, k,
                              a.subspan(r0 * k, m * k), a_scales.subspan(r0 * kt, m * kt),
                              b.subspan(g * nk, nk), b_scales.subspan(g * b_scale_count, b_scale_count), {}, {}};
        return fp8_gemm_reference_at(p, local, cols);
    });
}

std::vector<GemmElement> grouped_bf16_reference_at(std::span<const GroupRows> groups, int n, int k,
                                                   std::span<const std::uint16_t> a, std::span<const std::uint16_t> b,
                                                   std::span<const int> rows, std::span<const int> cols) {
    MOESIM_CHECK(n > 0 && k > 0 && a.size() % static_cast<std::size_t>(k) == 0, "grouped bf16: A is not rows × k");
    check_groups(groups, a.size() / static_cast<std::size_t>(k));
    const auto nk = static_cast<std::size_t>(n) * k;
    MOESIM_CHECK(b.size() == groups.size() * nk, "grouped bf16: B must hold groups × n × k");
    return per_group_elements(groups, rows, [&](std::size_t g, const std::vector<int>& local) {
        const auto r0 = static_cast<std::size_t>(groups[g].first_row), m = static_cast<std::size_t>(groups[g].rows);
        return bf16_gemm_reference_at({groups[g].rows, n, k, a.subspan(r0 * k, m * k), b.subspan(g * nk, nk)},
                                      local, cols);
    });
}

double grouped_gemm_flops(std::span<const GroupRows> groups, int n, int k) {
    return gemm_flops(total_rows(groups), n, k);
}

double grouped_gemm_bytes(std::span<const GroupRows> groups, int n, int k, bool fp8) {
    const double m = total_rows(groups), g = static_cast<double>(groups.size());
    return fp8 ? deepgemm_bytes(m, n, k, g) : bf16_gemm_bytes(m, n, k, g);
}

}  // namespace moesim::kernels
