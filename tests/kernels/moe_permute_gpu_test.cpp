// The GPU permute plan, row copies and combine against the CPU references, exactly.
#include <catch2/catch.hpp>

#include <cstring>

#include "gpu_test_util.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/moe_permute.h"
#include "moesim/kernels/moe_permute_cuda.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

TEST_CASE("GPU permute and unpermute match the CPU references exactly", "[.gpu]") {
    require_gpu();
    for (const PermuteShape s : {PermuteShape{300, 256, 4, 16}, PermuteShape{1, 64, 1, 1}, PermuteShape{1000, 7168, 8, 256}}) {
        INFO("tokens " << s.tokens << " hidden " << s.hidden << " top_k " << s.top_k << " experts " << s.experts);
        const Routing r = random_routing(s.tokens, s.top_k, s.experts, 5);
        const PermutePlan cpu = permute_plan(r.topk_ids, s.tokens, s.top_k, s.experts);
        const auto assignments = r.topk_ids.size();
        const std::size_t capacity = assignments + static_cast<std::size_t>(s.experts) * 127;
        CudaStream stream;
        DeviceBuffer<int> ids(r.topk_ids), rank(assignments), count(static_cast<std::size_t>(s.experts)),
            first_row(static_cast<std::size_t>(s.experts) + 1), row_of(assignments), m_indices(capacity);
        PermutePlanArgs args;
        args.tokens = s.tokens;
        args.top_k = s.top_k;
        args.experts = s.experts;
        args.topk_ids = ids.get();
        args.rank = rank.get();
        args.count = count.get();
        args.first_row = first_row.get();
        args.row_of = row_of.get();
        args.m_indices = m_indices.get();
        args.capacity_rows = static_cast<int>(capacity);
        launch_permute_plan(args, stream.get());

        const auto h = static_cast<std::size_t>(s.hidden);
        const auto x = random_bf16(static_cast<std::size_t>(s.tokens) * h, 6);
        DeviceBuffer<std::uint16_t> dx(x), out(capacity * h);
        out.zero();
        launch_permute_rows(dx.get(), s.hidden * 2, s.tokens, s.top_k, row_of.get(), out.get(), stream.get());
        stream.synchronize();

        CHECK(row_of.download() == cpu.row_of);
        auto m_gpu = m_indices.download();
        m_gpu.resize(cpu.layout.m_indices.size());
        CHECK(m_gpu == cpu.layout.m_indices);
        CHECK(first_row.download().back() == cpu.layout.total_rows);
        std::vector<std::uint8_t> xb(x.size() * 2), want(static_cast<std::size_t>(cpu.layout.total_rows) * h * 2, 0);
        std::memcpy(xb.data(), x.data(), xb.size());
        permute_reference(xb, s.hidden * 2, cpu, s.top_k, want);
        const auto got = out.download(0, static_cast<std::size_t>(cpu.layout.total_rows) * h);
        CHECK(std::memcmp(got.data(), want.data(), want.size()) == 0);

        const auto y = random_bf16(static_cast<std::size_t>(cpu.layout.total_rows) * h, 7);
        DeviceBuffer<std::uint16_t> dy(y), combined(static_cast<std::size_t>(s.tokens) * h);
        DeviceBuffer<float> weights(r.weights);
        launch_unpermute(dy.get(), s.hidden, weights.get(), row_of.get(), s.tokens, s.top_k, combined.get(), stream.get());
        stream.synchronize();
        std::vector<std::uint16_t> want_combined(static_cast<std::size_t>(s.tokens) * h);
        unpermute_reference(y, s.hidden, r.weights, cpu, s.top_k, want_combined);
        CHECK(combined.download() == want_combined);
    }
}
