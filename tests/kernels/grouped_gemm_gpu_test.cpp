// The GPU grouped GEMMs (contiguous and masked, FP8 on both MMA paths and BF16) against the
// per-group CPU reference, with empty groups, partial tiles, and the rows they must not touch.
#include <catch2/catch.hpp>

#include <numeric>

#include "gpu_test_util.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/gemm_bench.h"
#include "moesim/kernels/grouped_gemm.h"
#include "moesim/kernels/grouped_gemm_cuda.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

namespace {

constexpr std::uint16_t kSentinel = 0x7FC1;  // a BF16 NaN no kernel writes

struct Variant {
    GemmInput input;
    Fp8MmaPath path;
};

void run_grouped(GemmLayout layout, const std::vector<int>& rows, int m_max, const Variant& v) {
    const int n = 384, k = 256, groups = static_cast<int>(rows.size());
    std::vector<GroupRows> places;
    std::vector<int> m_indices;
    int a_rows = 0;
    if (layout == GemmLayout::Contiguous) {
        ContiguousLayout c = contiguous_layout(rows);
        places = c.groups;
        m_indices = c.m_indices;
        a_rows = c.total_rows;
    } else {
        places = masked_groups(rows, m_max);
        a_rows = m_max * groups;
    }
    std::vector<int> all_rows(static_cast<std::size_t>(a_rows)), all_cols(static_cast<std::size_t>(n));
    std::iota(all_rows.begin(), all_rows.end(), 0);
    std::iota(all_cols.begin(), all_cols.end(), 0);
    GemmSample sample{{}, all_cols};
    for (const GroupRows& g : places)
        for (int r = 0; r < g.rows; ++r) sample.rows.push_back(g.first_row + r);

    CudaStream stream;
    DeviceBuffer<int> d_idx(m_indices), d_masked(rows);
    std::vector<std::uint16_t> init(static_cast<std::size_t>(a_rows) * n, kSentinel);
    DeviceBuffer<std::uint16_t> d(init);
    GemmArgs args;
    args.input = v.input;
    args.path = v.path;
    args.layout = layout;
    args.m = layout == GemmLayout::Contiguous ? a_rows : m_max;
    args.n = n;
    args.k = k;
    args.groups = groups;
    args.m_indices = d_idx.get();
    args.masked_m = d_masked.get();
    args.d = d.get();
    Measurement m;
    std::vector<GemmElement> ref;
    if (v.input == GemmInput::Fp8BlockScaled) {
        const Fp8Operands o = make_fp8_operands(a_rows, n, k, groups, 11);
        DeviceBuffer<std::uint8_t> a(o.a), b(o.b);
        DeviceBuffer<float> sa(o.a_scales), sb(o.b_scales);
        args.a = a.get();
        args.b = b.get();
        args.a_scales = sa.get();
        args.b_scales = sb.get();
        launch_grouped_gemm(args, stream.get());
        stream.synchronize();
        ref = grouped_fp8_reference_at(places, n, k, o.a, o.a_scales, o.b, o.b_scales, sample.rows, sample.cols);
        check_gemm_sample(m, d, a_rows, n, sample, ref, kFp8SumTolerance, "2^-10");
    } else {
        const auto ha = random_bf16(static_cast<std::size_t>(a_rows) * k, 12);
        const auto hb = random_bf16(static_cast<std::size_t>(groups) * n * k, 13);
        DeviceBuffer<std::uint16_t> a(ha), b(hb);
        args.a = a.get();
        args.b = b.get();
        launch_grouped_gemm(args, stream.get());
        stream.synchronize();
        ref = grouped_bf16_reference_at(places, n, k, ha, hb, sample.rows, sample.cols);
        check_gemm_sample(m, d, a_rows, n, sample, ref, kBf16SumTolerance, "2^-12");
    }
    INFO(m.check_detail);
    CHECK(m.reference_ok);
    // Rows that hold no token (padding, or beyond masked_m) keep what D held.
    const std::vector<std::uint16_t> out = d.download();
    std::size_t untouched_wrong = 0;
    for (int r = 0; r < a_rows; ++r) {
        bool in_group = false;
        for (const GroupRows& g : places) in_group |= r >= g.first_row && r < g.first_row + g.rows;
        if (in_group) continue;
        for (int c = 0; c < n; ++c) untouched_wrong += out[static_cast<std::size_t>(r) * n + c] != kSentinel;
    }
    CHECK(untouched_wrong == 0);
}

const Variant kVariants[] = {{GemmInput::Fp8BlockScaled, Fp8MmaPath::Auto},
                             {GemmInput::Fp8BlockScaled, Fp8MmaPath::Portable},
                             {GemmInput::Bf16, Fp8MmaPath::Auto}};

}  // namespace

TEST_CASE("GPU grouped GEMM, contiguous layout, matches the per-group reference", "[.gpu]") {
    require_gpu();
    for (const Variant& v : kVariants) {
        INFO((v.input == GemmInput::Bf16 ? "bf16" : v.path == Fp8MmaPath::Auto ? "fp8 auto" : "fp8 portable"));
        run_grouped(GemmLayout::Contiguous, {1, 200, 0, 300, 128}, 0, v);
    }
}

TEST_CASE("GPU grouped GEMM, masked layout, matches the per-group reference", "[.gpu]") {
    require_gpu();
    for (const Variant& v : kVariants) {
        INFO((v.input == GemmInput::Bf16 ? "bf16" : v.path == Fp8MmaPath::Auto ? "fp8 auto" : "fp8 portable"));
        run_grouped(GemmLayout::Masked, {0, 5, 128, 200, 256}, 256, v);
    }
}
