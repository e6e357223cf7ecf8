#include "moesim/kernels/mla_decode.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "moesim/common/error.h"

namespace moesim::kernels {
namespace {

std::size_t mul(std::size_t a, std::size_t b) { return a * b; }

double total_tokens(std::span<const int> seq_lens) {
    return std::accumulate(seq_lens.begin(), seq_lens.end(), 0.0);
}

}  // namespace

namespace {

// Checks everything but `out`; returns the number of cache blocks.
std::int64_t check_params(const MlaDecodeParams& p) {
    MOESIM_CHECK(p.batch > 0 && p.s_q > 0 && p.heads_q > 0,
                 "mla_decode: batch, s_q and heads_q must be positive");
    MOESIM_CHECK(p.softmax_scale > 0.0f, "mla_decode: softmax_scale must be positive");
    MOESIM_CHECK(p.seq_lens.size() == static_cast<std::size_t>(p.batch),
                 "mla_decode: one seq_len per sequence");
    MOESIM_CHECK(p.kv_cache.size() % mul(kMlaBlockSize, kMlaKDim) == 0,
                 "mla_decode: kv_cache must be whole blocks of 64 × 576");
    MOESIM_CHECK(p.max_blocks_per_seq > 0 &&
                     p.block_table.size() == mul(p.batch, p.max_blocks_per_seq),
                 "mla_decode: block_table must be batch × max_blocks_per_seq");
    const std::size_t rows = mul(p.batch, p.s_q) * static_cast<std::size_t>(p.heads_q);
    MOESIM_CHECK(p.q.size() == rows * kMlaKDim, "mla_decode: q must be batch·s_q·heads_q·576");
    return static_cast<std::int64_t>(p.kv_cache.size() / mul(kMlaBlockSize, kMlaKDim));
}

// Sequence b's cached tokens, in order.
std::vector<const float*> sequence_tokens(const MlaDecodeParams& p, int b, std::int64_t num_blocks) {
    const int len = p.seq_lens[b];
    MOESIM_CHECK(len >= p.s_q && len <= p.max_blocks_per_seq * kMlaBlockSize,
                 "mla_decode: seq_len " + std::to_string(len) + " of sequence " +
                     std::to_string(b) + " is below s_q or beyond its block table");
    std::vector<const float*> tokens(static_cast<std::size_t>(len));
    for (int j = 0; j < len; ++j) {
        const std::int32_t block = p.block_table[mul(b, p.max_blocks_per_seq) + j / kMlaBlockSize];
        MOESIM_CHECK(block >= 0 && block < num_blocks,
                     "mla_decode: block table entry " + std::to_string(block) +
                         " outside the cache of " + std::to_string(num_blocks) + " blocks");
        tokens[j] = p.kv_cache.data() +
                    (static_cast<std::size_t>(block) * kMlaBlockSize + j % kMlaBlockSize) * kMlaKDim;
    }
    return tokens;
}

// One output row (query token t, head h of sequence b) over its visible tokens.
void attend(const MlaDecodeParams& p, const std::vector<const float*>& tokens, int b, int t, int h,
            std::vector<double>& scores, std::vector<double>& acc) {
    const int visible = p.seq_lens[b] - (p.s_q - 1 - t);
    const std::size_t row = (mul(b, p.s_q) + t) * p.heads_q + h;
    const float* q = p.q.data() + row * kMlaKDim;
    scores.resize(static_cast<std::size_t>(visible));
    double max_score = -INFINITY;
    for (int j = 0; j < visible; ++j) {
        double s = 0.0;
        for (int d = 0; d < kMlaKDim; ++d)
            s += static_cast<double>(q[d]) * static_cast<double>(tokens[j][d]);
        scores[j] = s * p.softmax_scale;
        max_score = std::max(max_score, scores[j]);
    }
    double sum = 0.0;
    acc.assign(kMlaLatentDim, 0.0);
    for (int j = 0; j < visible; ++j) {
        const double w = std::exp(scores[j] - max_score);
        sum += w;
        for (int d = 0; d < kMlaLatentDim; ++d) acc[d] += w * tokens[j][d];
    }
    for (double& v : acc) v /= sum;
}

}  // namespace

void mla_decode_reference(const MlaDecodeParams& p) {
    const std::int64_t num_blocks = check_params(p);
    const std::size_t rows = mul(p.batch, p.s_q) * static_cast<std::size_t>(p.heads_q);
    MOESIM_CHECK(p.out.size() == rows * kMlaLatentDim,
                 "mla_decode: out must be batch·s_q·heads_q·512");
    std::vector<double> scores, acc;
    for (int b = 0; b < p.batch; ++b) {
        const std::vector<const float*> tokens = sequence_tokens(p, b, num_blocks);
        for (int t = 0; t < p.s_q; ++t)
            for (int h = 0; h < p.heads_q; ++h) {
                attend(p, tokens, b, t, h, scores, acc);
                float* out = p.out.data() + ((mul(b, p.s_q) + t) * p.heads_q + h) * kMlaLatentDim;
                for (int d = 0; d < kMlaLatentDim; ++d) out[d] = static_cast<float>(acc[d]);
            }
    }
}

std::vector<double> mla_decode_reference_row(const MlaDecodeParams& p, int b, int t, int h) {
    const std::int64_t num_blocks = check_params(p);
    MOESIM_CHECK(b >= 0 && b < p.batch && t >= 0 && t < p.s_q && h >= 0 && h < p.heads_q,
                 "mla_decode_reference_row: row outside the batch");
    std::vector<double> scores, acc;
    attend(p, sequence_tokens(p, b, num_blocks), b, t, h, scores, acc);
    return acc;
}

double flashmla_flops(int s_q, std::span<const int> seq_lens, int heads_q) {
    return 2.0 * s_q * total_tokens(seq_lens) * heads_q * (kMlaKDim + kMlaLatentDim);
}

double flashmla_bytes(int s_q, std::span<const int> seq_lens, int heads_q) {
    const double b = static_cast<double>(seq_lens.size());
    return 2.0 * (total_tokens(seq_lens) * kMlaKDim +
                  b * s_q * heads_q * (kMlaKDim + kMlaLatentDim));
}

}  // namespace moesim::kernels
