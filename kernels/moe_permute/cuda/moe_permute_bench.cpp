// Benchmarks of permute and unpermute. Checks: the plan (row_of, m_indices) exactly against the
// CPU plan; the copies of 2048 sampled assignments byte for byte; the combine of 256 sampled
// tokens exactly against the CPU reference (same rounding order).
#include "moesim/kernels/moe_permute_bench.h"

#include <cstring>
#include <string>

#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/error_check.h"
#include "moesim/kernels/gpu_timer.h"
#include "moesim/kernels/moe_permute_cuda.h"
#include "moesim/kernels/test_data.h"

namespace moesim::kernels {
namespace {

// The device plan of one routing, with its arrays.
struct DevicePlan {
    DeviceBuffer<int> topk_ids, rank, count, first_row, row_of, m_indices;
    PermutePlanArgs args;

    DevicePlan(const PermuteShape& s, std::span<const int> ids)
        : topk_ids(ids), rank(ids.size()), count(static_cast<std::size_t>(s.experts)),
          first_row(static_cast<std::size_t>(s.experts) + 1), row_of(ids.size()),
          m_indices(ids.size() + static_cast<std::size_t>(s.experts) * (kContiguousAlignment - 1)) {
        args.tokens = s.tokens;
        args.top_k = s.top_k;
        args.experts = s.experts;
        args.alignment = kContiguousAlignment;
        args.topk_ids = topk_ids.get();
        args.rank = rank.get();
        args.count = count.get();
        args.first_row = first_row.get();
        args.row_of = row_of.get();
        args.m_indices = m_indices.get();
        args.capacity_rows = static_cast<int>(m_indices.size());
    }
};

Measurement permute_measurement(const PermuteShape& s, const char* op, const char* dtype) {
    Measurement m;
    m.kind = "permute";
    m.impl = "moesim_permute";
    m.op = op;
    m.dtype = dtype;
    m.shape = {{"tokens", s.tokens}, {"hidden", s.hidden}, {"top_k", s.top_k}, {"experts", s.experts}};
    return m;
}

// The plan on the GPU against the CPU's: row_of and m_indices (up to the capacity) exactly.
void check_plan(ErrorCheck& check, const DevicePlan& d, const PermutePlan& cpu) {
    const auto row_of = d.row_of.download();
    for (std::size_t a = 0; a < row_of.size(); ++a) check.add(row_of[a], cpu.row_of[a], 0.0, a);
    const auto m_indices = d.m_indices.download();
    for (std::size_t r = 0; r < m_indices.size(); ++r)
        check.add(m_indices[r], r < cpu.layout.m_indices.size() ? cpu.layout.m_indices[r] : -1, 0.0, 1000000000u + r);
}

// Byte equality of sampled copies: row row_of[a] of out against row a / top_k of x.
void check_copies(ErrorCheck& check, const DeviceBuffer<std::uint8_t>& out, std::span<const std::uint8_t> x,
                  int row_bytes, const PermutePlan& cpu, int top_k, std::uint64_t seed) {
    const auto rb = static_cast<std::size_t>(row_bytes);
    for (int a : sample_indices(static_cast<int>(cpu.row_of.size()), 2048, seed)) {
        const auto got = out.download(static_cast<std::size_t>(cpu.row_of[static_cast<std::size_t>(a)]) * rb, rb);
        const bool same = std::memcmp(got.data(), x.data() + static_cast<std::size_t>(a / top_k) * rb, rb) == 0;
        check.add(same ? 0.0 : 1.0, 0.0, 0.0, 2000000000u + static_cast<std::size_t>(a));
    }
}

std::vector<std::uint8_t> as_bytes(std::span<const std::uint16_t> v) {
    std::vector<std::uint8_t> out(v.size() * 2);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
}

}  // namespace

void bench_permute(std::span<const PermuteShape> shapes, const SuitePlan& plan, const MeasurementSink& sink) {
    CudaStream stream;
    GpuTimer timer(stream.get());
    for (const PermuteShape& s : shapes) {
        const std::uint64_t seed = 31ull * s.tokens + 7ull * s.experts + s.top_k;
        const Routing routing = random_routing(s.tokens, s.top_k, s.experts, seed);
        const PermutePlan cpu = permute_plan(routing.topk_ids, s.tokens, s.top_k, s.experts);
        DevicePlan dplan(s, routing.topk_ids);
        const std::size_t capacity = static_cast<std::size_t>(dplan.args.capacity_rows);
        const auto h = static_cast<std::size_t>(s.hidden);
        const std::string plan_what = "row_of and m_indices exactly against the CPU plan, ";

        {  // BF16 permute: plan + one row copy per assignment.
            const auto x16 = random_bf16(static_cast<std::size_t>(s.tokens) * h, seed + 1);
            const auto x = as_bytes(x16);
            DeviceBuffer<std::uint8_t> dx(x), out(capacity * h * 2);
            Measurement m = permute_measurement(s, "permute", "bf16");
            m.bytes = permute_bytes(s, 2.0);
            set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] {
                launch_permute_plan(dplan.args, stream.get());
                launch_permute_rows(dx.get(), s.hidden * 2, s.tokens, s.top_k, dplan.row_of.get(), out.get(), stream.get());
            }));
            ErrorCheck check(plan_what + "and 2048 sampled copied rows byte for byte; max_error = wrong entries or rows");
            check_plan(check, dplan, cpu);
            check_copies(check, out, x, s.hidden * 2, cpu, s.top_k, seed);
            check.apply(m);
            sink(std::move(m));
        }
        {  // FP8 permute: plan + codes + their 1×128 scales.
            const int scale_bytes = (s.hidden + 127) / 128 * 4;
            const auto codes = random_fp8_codes(static_cast<std::size_t>(s.tokens) * h, seed + 2);
            const auto scales = random_scales(static_cast<std::size_t>(s.tokens) * (scale_bytes / 4), seed + 3);
            std::vector<std::uint8_t> scale_bytes_host(scales.size() * 4);
            std::memcpy(scale_bytes_host.data(), scales.data(), scale_bytes_host.size());
            DeviceBuffer<std::uint8_t> dcodes(codes), dscales(scale_bytes_host), out_codes(capacity * h),
                out_scales(capacity * static_cast<std::size_t>(scale_bytes));
            Measurement m = permute_measurement(s, "permute", "fp8");
            m.bytes = permute_bytes(s, 1.0) + permute_bytes({s.tokens, scale_bytes, s.top_k, s.experts}, 1.0);
            set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] {
                launch_permute_plan(dplan.args, stream.get());
                launch_permute_rows(dcodes.get(), s.hidden, s.tokens, s.top_k, dplan.row_of.get(), out_codes.get(), stream.get());
                launch_permute_rows(dscales.get(), scale_bytes, s.tokens, s.top_k, dplan.row_of.get(), out_scales.get(),
                                    stream.get());
            }));
            ErrorCheck check(plan_what + "and 2048 sampled copied code and scale rows byte for byte");
            check_plan(check, dplan, cpu);
            check_copies(check, out_codes, codes, s.hidden, cpu, s.top_k, seed);
            check_copies(check, out_scales, scale_bytes_host, scale_bytes, cpu, s.top_k, seed + 1);
            check.apply(m);
            sink(std::move(m));
        }
        {  // Unpermute (combine) of BF16 expert outputs laid out by the same plan.
            const auto y = random_bf16(static_cast<std::size_t>(cpu.layout.total_rows) * h, seed + 4);
            DeviceBuffer<std::uint16_t> dy(y), out(static_cast<std::size_t>(s.tokens) * h);
            DeviceBuffer<float> weights(routing.weights);
            MOESIM_CUDA_CHECK(cudaMemcpy(dplan.row_of.get(), cpu.row_of.data(), cpu.row_of.size() * sizeof(int),
                                         cudaMemcpyHostToDevice));
            Measurement m = permute_measurement(s, "unpermute", "bf16");
            m.flops = unpermute_flops(s);
            m.bytes = unpermute_bytes(s);
            set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] {
                launch_unpermute(dy.get(), s.hidden, weights.get(), dplan.row_of.get(), s.tokens, s.top_k, out.get(),
                                 stream.get());
            }));
            ErrorCheck check("256 sampled tokens, every value, exactly against the CPU combine (FP32 products and "
                             "sums in choice order, one BF16 rounding); max_error in BF16 bit patterns");
            for (int t : sample_indices(s.tokens, 256, seed + 5)) {
                const auto want = unpermute_reference_token(y, s.hidden, routing.weights, cpu, s.top_k, t);
                const auto got = out.download(static_cast<std::size_t>(t) * h, h);
                for (std::size_t d = 0; d < h; ++d)
                    check.add(got[d], want[d], 0.0, static_cast<std::size_t>(t) * h + d);
            }
            check.apply(m);
            sink(std::move(m));
        }
    }
}

}  // namespace moesim::kernels
