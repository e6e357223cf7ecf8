#include "moesim/kernels/mla_prefill.h"

#include <algorithm>
#include <cmath>

#include "moesim/common/error.h"

namespace moesim::kernels {
namespace {

void check_params(const MlaPrefillParams& p) {
    MOESIM_CHECK(p.batch > 0 && p.seq_len > 0 && p.heads > 0, "mla_prefill: batch, seq_len and heads must be positive");
    MOESIM_CHECK(p.softmax_scale > 0.0f, "mla_prefill: softmax_scale must be positive");
    const std::size_t rows = static_cast<std::size_t>(p.batch) * p.seq_len * p.heads;
    MOESIM_CHECK(p.q.size() == rows * kMlaQkDim && p.k.size() == rows * kMlaQkDim,
                 "mla_prefill: q and k must be batch·seq·heads·192");
    MOESIM_CHECK(p.v.size() == rows * kMlaVDim, "mla_prefill: v must be batch·seq·heads·128");
}

std::size_t row_index(const MlaPrefillParams& p, int b, int i, int h) {
    return (static_cast<std::size_t>(b) * p.seq_len + static_cast<std::size_t>(i)) * p.heads + static_cast<std::size_t>(h);
}

void attend(const MlaPrefillParams& p, int b, int i, int h, std::vector<double>& scores, std::vector<double>& acc) {
    const float* q = p.q.data() + row_index(p, b, i, h) * kMlaQkDim;
    scores.resize(static_cast<std::size_t>(i) + 1);
    double max_score = -INFINITY;
    for (int j = 0; j <= i; ++j) {
        const float* k = p.k.data() + row_index(p, b, j, h) * kMlaQkDim;
        double s = 0.0;
        for (int d = 0; d < kMlaQkDim; ++d) s += static_cast<double>(q[d]) * k[d];
        scores[static_cast<std::size_t>(j)] = s * p.softmax_scale;
        max_score = std::max(max_score, scores[static_cast<std::size_t>(j)]);
    }
    acc.assign(kMlaVDim, 0.0);
    double sum = 0.0;
    for (int j = 0; j <= i; ++j) {
        const double w = std::exp(scores[static_cast<std::size_t>(j)] - max_score);
        sum += w;
        const float* v = p.v.data() + row_index(p, b, j, h) * kMlaVDim;
        for (int d = 0; d < kMlaVDim; ++d) acc[static_cast<std::size_t>(d)] += w * v[d];
    }
    for (double& x : acc) x /= sum;
}

}  // namespace

void mla_prefill_reference(const MlaPrefillParams& p) {
    check_params(p);
    MOESIM_CHECK(p.out.size() == p.v.size(), "mla_prefill: out must be batch·seq·heads·128");
    std::vector<double> scores, acc;
    for (int b = 0; b < p.batch; ++b)
        for (int i = 0; i < p.seq_len; ++i)
            for (int h = 0; h < p.heads; ++h) {
                attend(p, b, i, h, scores, acc);
                float* out = p.out.data() + row_index(p, b, i, h) * kMlaVDim;
                for (int d = 0; d < kMlaVDim; ++d) out[d] = static_cast<float>(acc[static_cast<std::size_t>(d)]);
            }
}

std::vector<double> mla_prefill_reference_row(const MlaPrefillParams& p, int b, int i, int h) {
    check_params(p);
    MOESIM_CHECK(b >= 0 && b < p.batch && i >= 0 && i < p.seq_len && h >= 0 && h < p.heads,
                 "mla_prefill_reference_row: row outside the problem");
    std::vector<double> scores, acc;
    attend(p, b, i, h, scores, acc);
    return acc;
}

double mla_prefill_flops(const MlaPrefillShape& s) {
    const double pairs = 0.5 * s.seq_len * (s.seq_len + 1.0);
    return 2.0 * pairs * (kMlaQkDim + kMlaVDim) * s.batch * s.heads;
}

double mla_prefill_bytes(const MlaPrefillShape& s) {
    return 2.0 * s.batch * static_cast<double>(s.seq_len) * s.heads * (2.0 * kMlaQkDim + 2.0 * kMlaVDim);
}

}  // namespace moesim::kernels
