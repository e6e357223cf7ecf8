// Benchmarks of the grouped GEMMs, checked on sampled rows of every group against the per-group
// CPU reference.
#include "moesim/kernels/grouped_gemm_bench.h"

#include <algorithm>

#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/gemm_bench.h"
#include "moesim/kernels/gpu_timer.h"
#include "moesim/kernels/grouped_gemm_cuda.h"
#include "moesim/kernels/test_data.h"

namespace moesim::kernels {
namespace {

// Rows to check: a few of every group (its first and last included), and 64 columns.
GemmSample grouped_sample(std::span<const GroupRows> groups, int n, std::uint64_t seed) {
    GemmSample s;
    const int per_group = std::max(2, 64 / static_cast<int>(groups.size()));
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].rows == 0) continue;
        for (int r : sample_indices(groups[g].rows, per_group, seed + g)) s.rows.push_back(groups[g].first_row + r);
    }
    std::sort(s.rows.begin(), s.rows.end());
    s.cols = sample_indices(n, 64, seed ^ 0xABCDull);
    return s;
}

}  // namespace

std::vector<int> benchmark_rows_per_group(const GroupedGemmShape& s, GemmLayout layout) {
    std::vector<int> rows(static_cast<std::size_t>(s.groups), s.m_per_group);
    if (layout == GemmLayout::Masked) {
        SplitMix64 rng(7919ull * s.groups + s.m_per_group);
        for (int& r : rows) r = std::max(1, static_cast<int>(s.m_per_group * (0.7 + 0.6 * rng.uniform())));
    }
    return rows;
}

void bench_grouped_gemm(std::span<const GroupedGemmShape> shapes, GemmLayout layout, GemmInput input,
                        const SuitePlan& plan, const MeasurementSink& sink) {
    const bool fp8 = input == GemmInput::Fp8BlockScaled;
    CudaStream stream;
    GpuTimer timer(stream.get());
    for (const GroupedGemmShape& s : shapes) {
        const std::vector<int> rows = benchmark_rows_per_group(s, layout);
        std::vector<GroupRows> groups;
        std::vector<int> m_indices;
        int a_rows = 0, m_arg = 0;
        if (layout == GemmLayout::Contiguous) {
            ContiguousLayout c = contiguous_layout(rows);
            groups = c.groups;
            m_indices = std::move(c.m_indices);
            a_rows = m_arg = c.total_rows;
        } else {
            m_arg = (*std::max_element(rows.begin(), rows.end()) + 127) / 128 * 128;
            groups = masked_groups(rows, m_arg);
            a_rows = m_arg * s.groups;
        }
        const std::uint64_t seed = 7777ull * s.groups + 131ull * s.m_per_group + s.n + 3ull * s.k;
        const GemmSample sample = grouped_sample(groups, s.n, seed);

        DeviceBuffer<int> d_m_indices(m_indices), d_masked(rows);
        DeviceBuffer<std::uint16_t> d(static_cast<std::size_t>(a_rows) * s.n);
        GemmArgs args;
        args.input = input;
        args.layout = layout;
        args.m = m_arg;
        args.n = s.n;
        args.k = s.k;
        args.groups = s.groups;
        args.m_indices = layout == GemmLayout::Contiguous ? d_m_indices.get() : nullptr;
        args.masked_m = layout == GemmLayout::Masked ? d_masked.get() : nullptr;
        args.d = d.get();

        Measurement m;
        m.kind = "grouped_gemm";
        m.impl = "moesim_grouped";
        m.op = layout == GemmLayout::Contiguous ? "contiguous" : "masked";
        m.dtype = fp8 ? "fp8" : "bf16";
        m.shape = {{"groups", s.groups}, {"m_per_group", s.m_per_group}, {"n", s.n}, {"k", s.k}};
        m.flops = grouped_gemm_flops(groups, s.n, s.k);
        m.bytes = grouped_gemm_bytes(groups, s.n, s.k, fp8);
        const auto time = [&] {
            set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { launch_grouped_gemm(args, stream.get()); }));
        };
        if (fp8) {
            const Fp8Operands o = make_fp8_operands(a_rows, s.n, s.k, s.groups, seed);
            DeviceBuffer<std::uint8_t> a(o.a), b(o.b);
            DeviceBuffer<float> sa(o.a_scales), sb(o.b_scales);
            args.a = a.get();
            args.b = b.get();
            args.a_scales = sa.get();
            args.b_scales = sb.get();
            time();
            const auto reference = grouped_fp8_reference_at(groups, s.n, s.k, o.a, o.a_scales, o.b, o.b_scales,
                                                            sample.rows, sample.cols);
            check_gemm_sample(m, d, a_rows, s.n, sample, reference, kFp8SumTolerance, "2^-10");
        } else {
            const auto ha = random_bf16(static_cast<std::size_t>(a_rows) * s.k, seed);
            const auto hb = random_bf16(static_cast<std::size_t>(s.groups) * s.n * s.k, seed + 1);
            DeviceBuffer<std::uint16_t> a(ha), b(hb);
            args.a = a.get();
            args.b = b.get();
            time();
            const auto reference = grouped_bf16_reference_at(groups, s.n, s.k, ha, hb, sample.rows, sample.cols);
            check_gemm_sample(m, d, a_rows, s.n, sample, reference, kBf16SumTolerance, "2^-12");
        }
        sink(std::move(m));
    }
}

}  // namespace moesim::kernels
