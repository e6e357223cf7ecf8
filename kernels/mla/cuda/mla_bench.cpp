// Benchmarks of MLA decode and prefill, checked on sampled output rows against the double CPU
// references (rebuilt for just the sampled sequence, so that the check stays cheap).
#include "moesim/kernels/mla_bench.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/error_check.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/gpu_timer.h"
#include "moesim/kernels/mla_cuda.h"
#include "moesim/kernels/test_data.h"

namespace moesim::kernels {
namespace {

std::vector<float> to_float(const std::uint16_t* bf16, std::size_t count) {
    std::vector<float> out(count);
    for (std::size_t i = 0; i < count; ++i) out[i] = bf16_to_float(bf16[i]);
    return out;
}

constexpr int kSampledRows = 24;

}  // namespace

double attention_tolerance(double reference, double v_max) {
    return std::ldexp(std::fabs(reference), -8) + std::ldexp(v_max, -7);
}

void bench_mla_decode(std::span<const MlaDecodeShape> shapes, const SuitePlan& plan, const MeasurementSink& sink) {
    CudaStream stream;
    GpuTimer timer(stream.get());
    int device = 0, sms = 0;
    MOESIM_CUDA_CHECK(cudaGetDevice(&device));
    MOESIM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    for (const MlaDecodeShape& s : shapes) {
        const std::uint64_t seed = 101ull * s.batch + 13ull * s.heads + s.cached_tokens + 7ull * s.s_q;
        const int blocks_per_seq = (s.cached_tokens + kMlaBlockSize - 1) / kMlaBlockSize;
        const std::size_t num_blocks = static_cast<std::size_t>(s.batch) * blocks_per_seq;
        const std::size_t rows = static_cast<std::size_t>(s.batch) * s.s_q * s.heads;
        // Pages in a shuffled order, so that the block table matters.
        std::vector<int> table(num_blocks);
        std::iota(table.begin(), table.end(), 0);
        SplitMix64 rng(seed);
        for (std::size_t i = table.size(); i > 1; --i) std::swap(table[i - 1], table[rng.next() % i]);
        const std::vector<int> lens(static_cast<std::size_t>(s.batch), s.cached_tokens);
        const auto q = random_bf16(rows * kMlaKDim, seed + 1);
        const auto kv = random_bf16(num_blocks * kMlaBlockSize * kMlaKDim, seed + 2);
        DeviceBuffer<int> d_lens(lens), d_table(table);
        DeviceBuffer<std::uint16_t> d_q(q), d_kv(kv), d_out(rows * kMlaLatentDim);
        MlaDecodeArgs args;
        args.batch = s.batch;
        args.s_q = s.s_q;
        args.heads = s.heads;
        args.softmax_scale = kMlaSoftmaxScale;
        args.seq_lens = d_lens.get();
        args.max_seq_len = s.cached_tokens;
        args.q = d_q.get();
        args.kv_cache = d_kv.get();
        args.block_table = d_table.get();
        args.max_blocks_per_seq = blocks_per_seq;
        args.out = d_out.get();
        args.num_splits = mla_decode_splits(s.batch, s.s_q, s.heads, s.cached_tokens, sms);
        DeviceBuffer<float> workspace(mla_decode_workspace_floats(args));
        args.workspace = workspace.get();

        Measurement m;
        m.kind = "attention";
        m.impl = "moesim_mla";
        m.op = "decode";
        m.dtype = "bf16";
        m.shape = {{"batch", s.batch}, {"heads", s.heads}, {"cached_tokens", s.cached_tokens}, {"s_q", s.s_q}};
        m.flops = flashmla_flops(s.s_q, lens, s.heads);
        m.bytes = flashmla_bytes(s.s_q, lens, s.heads);
        set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { launch_mla_decode(args, stream.get()); }));

        ErrorCheck check(std::to_string(kSampledRows) + " sampled output rows (all 512 values) against the double "
                         "reference, pages shuffled, " + std::to_string(args.num_splits) +
                         " KV split(s); tolerance 2^-8·|ref| + 2^-7·max|v| (BF16 output and probabilities); "
                         "index = output row·512 + dim");
        for (int pick : sample_indices(static_cast<int>(rows), kSampledRows, seed + 3)) {
            const int b = pick / (s.s_q * s.heads), t = (pick / s.heads) % s.s_q, h = pick % s.heads;
            // Sequence b alone: its query rows and its pages, in order.
            const auto q1 = to_float(q.data() + static_cast<std::size_t>(b) * s.s_q * s.heads * kMlaKDim,
                                     static_cast<std::size_t>(s.s_q) * s.heads * kMlaKDim);
            std::vector<float> kv1;
            kv1.reserve(static_cast<std::size_t>(blocks_per_seq) * kMlaBlockSize * kMlaKDim);
            for (int blk = 0; blk < blocks_per_seq; ++blk) {
                const auto page = to_float(kv.data() + static_cast<std::size_t>(table[static_cast<std::size_t>(b) * blocks_per_seq + blk]) *
                                                           kMlaBlockSize * kMlaKDim,
                                           static_cast<std::size_t>(kMlaBlockSize) * kMlaKDim);
                kv1.insert(kv1.end(), page.begin(), page.end());
            }
            std::vector<std::int32_t> table1(static_cast<std::size_t>(blocks_per_seq));
            std::iota(table1.begin(), table1.end(), 0);
            const std::vector<int> len1{s.cached_tokens};
            const MlaDecodeParams p1{1, s.s_q, s.heads, kMlaSoftmaxScale, len1, q1, kv1, table1, blocks_per_seq, {}};
            const auto want = mla_decode_reference_row(p1, 0, t, h);
            double v_max = 0.0;
            for (int j = 0; j < s.cached_tokens; ++j)
                for (int d = 0; d < kMlaLatentDim; ++d)
                    v_max = std::max(v_max, std::fabs(static_cast<double>(kv1[static_cast<std::size_t>(j) * kMlaKDim + d])));
            const auto got = d_out.download(static_cast<std::size_t>(pick) * kMlaLatentDim, kMlaLatentDim);
            for (int d = 0; d < kMlaLatentDim; ++d)
                check.add(bf16_to_float(got[static_cast<std::size_t>(d)]), want[static_cast<std::size_t>(d)],
                          attention_tolerance(want[static_cast<std::size_t>(d)], v_max),
                          static_cast<std::size_t>(pick) * kMlaLatentDim + static_cast<std::size_t>(d));
        }
        check.apply(m);
        sink(std::move(m));
    }
}

void bench_mla_prefill(std::span<const MlaPrefillShape> shapes, const SuitePlan& plan, const MeasurementSink& sink) {
    CudaStream stream;
    GpuTimer timer(stream.get());
    for (const MlaPrefillShape& s : shapes) {
        const std::uint64_t seed = 211ull * s.batch + 17ull * s.heads + s.seq_len;
        const std::size_t rows = static_cast<std::size_t>(s.batch) * s.seq_len * s.heads;
        const auto q = random_bf16(rows * kMlaQkDim, seed);
        const auto k = random_bf16(rows * kMlaQkDim, seed + 1);
        const auto v = random_bf16(rows * kMlaVDim, seed + 2);
        DeviceBuffer<std::uint16_t> d_q(q), d_k(k), d_v(v), d_out(rows * kMlaVDim);
        const MlaPrefillArgs args{s.batch, s.seq_len, s.heads, kMlaSoftmaxScale, d_q.get(), d_k.get(), d_v.get(), d_out.get()};

        Measurement m;
        m.kind = "attention";
        m.impl = "moesim_mla";
        m.op = "prefill";
        m.dtype = "bf16";
        m.shape = {{"batch", s.batch}, {"heads", s.heads}, {"seq_len", s.seq_len}};
        m.flops = mla_prefill_flops(s);
        m.bytes = mla_prefill_bytes(s);
        set_rates(m, timer.time(plan.warmup, plan.repetitions, [&] { launch_mla_prefill(args, stream.get()); }));

        ErrorCheck check(std::to_string(kSampledRows) + " sampled output rows (all 128 values) against the double "
                         "causal reference; tolerance 2^-8·|ref| + 2^-7·max|v|; index = output row·128 + dim");
        for (int pick : sample_indices(static_cast<int>(rows), kSampledRows, seed + 3)) {
            const int b = pick / (s.seq_len * s.heads), i = (pick / s.heads) % s.seq_len, h = pick % s.heads;
            // Head h of sequence b up to position i, alone.
            std::vector<float> q1, k1, v1;
            for (int j = 0; j <= i; ++j) {
                const std::size_t r = (static_cast<std::size_t>(b) * s.seq_len + j) * s.heads + h;
                const auto qa = to_float(q.data() + r * kMlaQkDim, kMlaQkDim), ka = to_float(k.data() + r * kMlaQkDim, kMlaQkDim);
                const auto va = to_float(v.data() + r * kMlaVDim, kMlaVDim);
                q1.insert(q1.end(), qa.begin(), qa.end());
                k1.insert(k1.end(), ka.begin(), ka.end());
                v1.insert(v1.end(), va.begin(), va.end());
            }
            const auto want = mla_prefill_reference_row({1, i + 1, 1, kMlaSoftmaxScale, q1, k1, v1, {}}, 0, i, 0);
            double v_max = 0.0;
            for (float x : v1) v_max = std::max(v_max, std::fabs(static_cast<double>(x)));
            const auto got = d_out.download(static_cast<std::size_t>(pick) * kMlaVDim, kMlaVDim);
            for (int d = 0; d < kMlaVDim; ++d)
                check.add(bf16_to_float(got[static_cast<std::size_t>(d)]), want[static_cast<std::size_t>(d)],
                          attention_tolerance(want[static_cast<std::size_t>(d)], v_max),
                          static_cast<std::size_t>(pick) * kMlaVDim + static_cast<std::size_t>(d));
        }
        check.apply(m);
        sink(std::move(m));
    }
}

}  // namespace moesim::kernels
