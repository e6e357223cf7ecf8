// The GPU MLA kernels against the double CPU references on every output row: decode with
// s_q 1 and 2, short, page-crossing and uneven lengths, shuffled pages, one and several KV
// splits; prefill with partial row blocks and several heads.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "gpu_test_util.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/error_check.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/mla_bench.h"
#include "moesim/kernels/mla_cuda.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

namespace {

std::vector<float> to_float(const std::vector<std::uint16_t>& v) {
    std::vector<float> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = bf16_to_float(v[i]);
    return out;
}

double max_abs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, std::fabs(static_cast<double>(x)));
    return m;
}

}  // namespace

TEST_CASE("GPU MLA decode matches the reference", "[.gpu]") {
    require_gpu();
    struct Case {
        int s_q, heads;
        std::vector<int> lens;
        int splits;
    };
    for (const Case& c : {Case{1, 16, {1, 64, 65, 200}, 1}, Case{2, 128, {2, 33, 130}, 1}, Case{1, 128, {300, 7}, 3},
                          Case{2, 16, {500, 64, 129}, 4}}) {
        const int batch = static_cast<int>(c.lens.size());
        const int max_len = *std::max_element(c.lens.begin(), c.lens.end());
        const int max_blocks = (max_len + 63) / 64;
        INFO("s_q " << c.s_q << " heads " << c.heads << " splits " << c.splits);
        std::vector<int> table(static_cast<std::size_t>(batch) * max_blocks);
        std::iota(table.begin(), table.end(), 0);
        std::reverse(table.begin(), table.end());  // pages out of order
        const std::size_t rows = static_cast<std::size_t>(batch) * c.s_q * c.heads;
        const auto q = random_bf16(rows * kMlaKDim, 1);
        const auto kv = random_bf16(table.size() * 64 * kMlaKDim, 2);
        CudaStream stream;
        DeviceBuffer<int> d_lens(c.lens), d_table(table);
        DeviceBuffer<std::uint16_t> d_q(q), d_kv(kv), d_out(rows * kMlaLatentDim);
        MlaDecodeArgs args;
        args.batch = batch;
        args.s_q = c.s_q;
        args.heads = c.heads;
        args.softmax_scale = kMlaSoftmaxScale;
        args.seq_lens = d_lens.get();
        args.max_seq_len = max_len;
        args.q = d_q.get();
        args.kv_cache = d_kv.get();
        args.block_table = d_table.get();
        args.max_blocks_per_seq = max_blocks;
        args.out = d_out.get();
        args.num_splits = c.splits;
        DeviceBuffer<float> ws(mla_decode_workspace_floats(args));
        args.workspace = ws.get();
        launch_mla_decode(args, stream.get());
        stream.synchronize();
        const auto got = d_out.download();

        const auto qf = to_float(q), kvf = to_float(kv);
        std::vector<std::int32_t> table32(table.begin(), table.end());
        const MlaDecodeParams p{batch, c.s_q, c.heads, kMlaSoftmaxScale, c.lens, qf, kvf, table32, max_blocks, {}};
        const double v_max = max_abs(kvf);
        ErrorCheck check("decode rows");
        for (int b = 0; b < batch; ++b)
            for (int t = 0; t < c.s_q; ++t)
                for (int h = 0; h < c.heads; ++h) {
                    const auto want = mla_decode_reference_row(p, b, t, h);
                    const std::size_t r = (static_cast<std::size_t>(b) * c.s_q + t) * c.heads + h;
                    for (int d = 0; d < kMlaLatentDim; ++d)
                        check.add(bf16_to_float(got[r * kMlaLatentDim + d]), want[static_cast<std::size_t>(d)],
                                  attention_tolerance(want[static_cast<std::size_t>(d)], v_max), r * kMlaLatentDim + d);
                }
        INFO(check.detail());
        CHECK(check.ok());
    }
}

TEST_CASE("GPU MLA prefill matches the causal reference", "[.gpu]") {
    require_gpu();
    for (const MlaPrefillShape s : {MlaPrefillShape{1, 1, 1}, MlaPrefillShape{2, 3, 70}, MlaPrefillShape{1, 2, 200}}) {
        INFO("batch " << s.batch << " heads " << s.heads << " seq " << s.seq_len);
        const std::size_t rows = static_cast<std::size_t>(s.batch) * s.seq_len * s.heads;
        const auto q = random_bf16(rows * kMlaQkDim, 3), k = random_bf16(rows * kMlaQkDim, 4), v = random_bf16(rows * kMlaVDim, 5);
        CudaStream stream;
        DeviceBuffer<std::uint16_t> d_q(q), d_k(k), d_v(v), d_out(rows * kMlaVDim);
        launch_mla_prefill({s.batch, s.seq_len, s.heads, kMlaSoftmaxScale, d_q.get(), d_k.get(), d_v.get(), d_out.get()},
                           stream.get());
        stream.synchronize();
        const auto got = d_out.download();
        const auto qf = to_float(q), kf = to_float(k), vf = to_float(v);
        std::vector<float> want(rows * kMlaVDim);
        mla_prefill_reference({s.batch, s.seq_len, s.heads, kMlaSoftmaxScale, qf, kf, vf, want});
        const double v_max = max_abs(vf);
        ErrorCheck check("prefill rows");
        for (std::size_t i = 0; i < want.size(); ++i)
            check.add(bf16_to_float(got[i]), want[i], attention_tolerance(want[i], v_max), i);
        INFO(check.detail());
        CHECK(check.ok());
    }
}
