// The two MLA attention launches over flash_attention.cuh, and the split combine.
#include <algorithm>
#include <cmath>
#include <string>

#include "moesim/common/error.h"
#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/flash_attention.cuh"
#include "moesim/kernels/mla_cuda.h"

namespace moesim::kernels {
namespace {

using DecodeTraits = flash::Traits<576, 512, 4, 2, 32, true>;
using PrefillTraits = flash::Traits<192, 128, 4, 1, 64, false>;

constexpr float kLog2e = 1.4426950408889634f;

int rows_blocks(int rows) { return (rows + 63) / 64; }

template <class T>
void configure(const char* what) {
    static const bool configured = [what] {
        int device = 0, optin = 0;
        MOESIM_CUDA_CHECK(cudaGetDevice(&device));
        MOESIM_CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
        if (optin < T::kSmemBytes)
            throw CudaError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + what + " needs " +
                            std::to_string(T::kSmemBytes) + " bytes of shared memory per block; this GPU offers " +
                            std::to_string(optin));
        MOESIM_CUDA_CHECK(cudaFuncSetAttribute(flash::flash_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                               T::kSmemBytes));
        return true;
    }();
    (void)configured;
}

int split_tokens(int max_seq_len, int num_splits) {
    const int per_split = (max_seq_len + num_splits - 1) / num_splits;
    return (per_split + DecodeTraits::kBlockN - 1) / DecodeTraits::kBlockN * DecodeTraits::kBlockN;
}

}  // namespace

int mla_decode_splits(int batch, int s_q, int heads, int max_seq_len, int sm_count) {
    const long long ctas = static_cast<long long>(batch) * rows_blocks(s_q * heads);
    if (ctas >= sm_count || max_seq_len <= DecodeTraits::kBlockN) return 1;
    const int wanted = static_cast<int>((sm_count + ctas - 1) / ctas);
    return std::max(1, std::min(wanted, max_seq_len / DecodeTraits::kBlockN));
}

std::size_t mla_decode_workspace_floats(const MlaDecodeArgs& a) {
    if (a.num_splits <= 1) return 0;
    const std::size_t rows = static_cast<std::size_t>(a.num_splits) * a.batch * a.s_q * a.heads;
    return rows * (512 + 1);
}

void launch_mla_decode(const MlaDecodeArgs& a, cudaStream_t stream) {
    MOESIM_CHECK(a.batch > 0 && a.s_q > 0 && a.heads > 0 && a.max_seq_len >= a.s_q,
                 "mla decode: batch, s_q, heads positive and max_seq_len ≥ s_q");
    MOESIM_CHECK(a.softmax_scale > 0.0f, "mla decode: softmax_scale must be positive");
    MOESIM_CHECK(a.seq_lens && a.q && a.kv_cache && a.block_table && a.out && a.max_blocks_per_seq > 0,
                 "mla decode: missing arrays");
    MOESIM_CHECK(a.max_seq_len <= a.max_blocks_per_seq * flash::kPageTokens, "mla decode: max_seq_len beyond the block table");
    MOESIM_CHECK(a.num_splits >= 1 && (a.num_splits == 1 || a.workspace), "mla decode: splits > 1 need the workspace");
    configure<DecodeTraits>("MLA decode");
    const int rows = a.s_q * a.heads;
    flash::Params p{};
    p.q = a.q;
    p.k = a.kv_cache;
    p.out = a.out;
    p.seq_lens = a.seq_lens;
    p.block_table = a.block_table;
    p.max_blocks = a.max_blocks_per_seq;
    p.heads = 1;
    p.rows_per_seq = rows;
    p.rows_per_qpos = a.heads;
    p.n_qpos = a.s_q;
    p.scale_log2 = a.softmax_scale * kLog2e;
    p.num_splits = a.num_splits;
    p.split_tokens = split_tokens(a.max_seq_len, a.num_splits);
    const long long rows_total = static_cast<long long>(a.batch) * rows;
    if (a.num_splits > 1) {
        p.o_partial = a.workspace;
        p.lse_partial = a.workspace + a.num_splits * rows_total * 512;
    }
    const dim3 grid(rows_blocks(rows), a.batch, a.num_splits);
    flash::flash_kernel<DecodeTraits><<<grid, DecodeTraits::kThreads, DecodeTraits::kSmemBytes, stream>>>(p);
    MOESIM_CUDA_CHECK_LAUNCH();
    if (a.num_splits > 1) {
        flash::combine_kernel<512><<<static_cast<unsigned>(rows_total), 128, 0, stream>>>(
            p.o_partial, p.lse_partial, a.num_splits, rows_total, a.out);
        MOESIM_CUDA_CHECK_LAUNCH();
    }
}

void launch_mla_prefill(const MlaPrefillArgs& a, cudaStream_t stream) {
    MOESIM_CHECK(a.batch > 0 && a.seq_len > 0 && a.heads > 0, "mla prefill: batch, seq_len and heads must be positive");
    MOESIM_CHECK(a.softmax_scale > 0.0f, "mla prefill: softmax_scale must be positive");
    MOESIM_CHECK(a.q && a.k && a.v && a.out, "mla prefill: missing arrays");
    MOESIM_CHECK(static_cast<long long>(a.batch) * a.heads < 65536, "mla prefill: batch · heads must be below 65536");
    configure<PrefillTraits>("MLA prefill");
    flash::Params p{};
    p.q = a.q;
    p.k = a.k;
    p.v = a.v;
    p.out = a.out;
    p.fixed_len = a.seq_len;
    p.heads = a.heads;
    p.rows_per_seq = a.seq_len;
    p.rows_per_qpos = 1;
    p.n_qpos = a.seq_len;
    p.scale_log2 = a.softmax_scale * kLog2e;
    p.num_splits = 1;
    p.split_tokens = (a.seq_len + PrefillTraits::kBlockN - 1) / PrefillTraits::kBlockN * PrefillTraits::kBlockN;
    p.reverse_row_blocks = true;
    const dim3 grid(rows_blocks(a.seq_len), a.batch * a.heads, 1);
    flash::flash_kernel<PrefillTraits><<<grid, PrefillTraits::kThreads, PrefillTraits::kSmemBytes, stream>>>(p);
    MOESIM_CUDA_CHECK_LAUNCH();
}

}  // namespace moesim::kernels
