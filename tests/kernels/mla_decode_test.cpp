// MLA decode reference: against a naive un-paged attention, invariance under block-table
// shuffles, bad input, and FlashMLA's metric formulas.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/kernels/mla_decode.h"

using namespace moesim::kernels;

namespace {

// A batch: per-sequence contiguous caches, the same tokens paged into blocks in a given order.
struct Batch {
    int s_q, heads;
    std::vector<int> lens;
    std::vector<std::vector<float>> seq_kv;  // per sequence: len · 576
    std::vector<float> q;
    int max_blocks = 0;
};

Batch make_batch(std::vector<int> lens, int s_q, int heads, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    Batch bt{s_q, heads, std::move(lens), {}, {}, 0};
    for (int len : bt.lens) {
        std::vector<float> kv(static_cast<std::size_t>(len) * kMlaKDim);
        for (auto& v : kv) v = dist(rng);
        bt.seq_kv.push_back(std::move(kv));
        bt.max_blocks = std::max(bt.max_blocks, (len + kMlaBlockSize - 1) / kMlaBlockSize);
    }
    bt.q.resize(bt.lens.size() * s_q * heads * kMlaKDim);
    for (auto& v : bt.q) v = dist(rng);
    return bt;
}

// Page the batch: the i-th block used goes to physical block perm[i]; unused space is NaN so
// that a read of the wrong slot shows.
std::vector<float> run_paged(const Batch& bt, float scale, const std::vector<int>& perm) {
    const int batch = static_cast<int>(bt.lens.size());
    const std::size_t block_floats = static_cast<std::size_t>(kMlaBlockSize) * kMlaKDim;
    std::vector<float> cache(perm.size() * block_floats, NAN);
    std::vector<std::int32_t> table(static_cast<std::size_t>(batch) * bt.max_blocks, -1);
    std::size_t next = 0;
    for (int b = 0; b < batch; ++b)
        for (int blk = 0; blk * kMlaBlockSize < bt.lens[b]; ++blk) {
            const int phys = perm.at(next++);
            table[static_cast<std::size_t>(b) * bt.max_blocks + blk] = phys;
            const int n = std::min(kMlaBlockSize, bt.lens[b] - blk * kMlaBlockSize);
            std::copy_n(bt.seq_kv[b].begin() + static_cast<std::ptrdiff_t>(blk) * block_floats,
                        static_cast<std::size_t>(n) * kMlaKDim, cache.begin() + phys * block_floats);
        }
    std::vector<float> out(static_cast<std::size_t>(batch) * bt.s_q * bt.heads * kMlaLatentDim);
    mla_decode_reference({batch, bt.s_q, bt.heads, scale, bt.lens, bt.q, cache, table,
                          bt.max_blocks, out});
    return out;
}

int blocks_used(const Batch& bt) {
    int n = 0;
    for (int len : bt.lens) n += (len + kMlaBlockSize - 1) / kMlaBlockSize;
    return n;
}

// Textbook attention in float, one sequence at a time, no paging.
std::vector<float> run_naive(const Batch& bt, float scale) {
    std::vector<float> out;
    for (std::size_t b = 0; b < bt.lens.size(); ++b)
        for (int t = 0; t < bt.s_q; ++t)
            for (int h = 0; h < bt.heads; ++h) {
                const float* q = bt.q.data() + ((b * bt.s_q + t) * bt.heads + h) * kMlaKDim;
                const int visible = bt.lens[b] - (bt.s_q - 1 - t);
                std::vector<float> p(visible);
                for (int j = 0; j < visible; ++j) {
                    float s = 0.0f;
                    for (int d = 0; d < kMlaKDim; ++d) s += q[d] * bt.seq_kv[b][j * kMlaKDim + d];
                    p[j] = s * scale;
                }
                const float mx = *std::max_element(p.begin(), p.end());
                float sum = 0.0f;
                for (auto& v : p) sum += (v = std::exp(v - mx));
                for (int d = 0; d < kMlaLatentDim; ++d) {
                    float o = 0.0f;
                    for (int j = 0; j < visible; ++j) o += p[j] * bt.seq_kv[b][j * kMlaKDim + d];
                    out.push_back(o / sum);
                }
            }
    return out;
}

std::vector<int> identity(int n) {
    std::vector<int> v(n);
    std::iota(v.begin(), v.end(), 0);
    return v;
}

const float kScale = 1.0f / std::sqrt(192.0f);  // V3: (128 nope + 64 rope)^-½

}  // namespace

TEST_CASE("MLA decode: paged reference matches naive attention", "[kernels]") {
    for (int s_q : {1, 2}) {
        INFO("s_q " << s_q);
        const Batch bt = make_batch({1 + s_q, 64, 65, 200}, s_q, 4, 11 + s_q);
        const auto paged = run_paged(bt, kScale, identity(blocks_used(bt)));
        const auto naive = run_naive(bt, kScale);
        REQUIRE(paged.size() == naive.size());
        // Outputs are convex combinations of N(0,1) values: |o| ≲ 3. Float rounding over
        // ≤ 576-term sums and a ≤ 200-term softmax stays far below 1e-4.
        double worst = 0.0;
        for (std::size_t i = 0; i < paged.size(); ++i)
            worst = std::max(worst, std::fabs(double(paged[i]) - naive[i]));
        CHECK(worst < 1e-4);
        for (float v : paged) REQUIRE(std::isfinite(v));
    }
}

TEST_CASE("MLA decode: shuffled block tables give identical output", "[kernels]") {
    const Batch bt = make_batch({130, 64, 7, 300}, 2, 3, 5);
    const int used = blocks_used(bt);
    const auto base = run_paged(bt, kScale, identity(used));
    std::mt19937 rng(99);
    for (int trial = 0; trial < 3; ++trial) {
        auto perm = identity(used + 5);  // spare blocks, never referenced (NaN-filled)
        std::shuffle(perm.begin(), perm.end(), rng);
        perm.resize(used + 5);
        CHECK(run_paged(bt, kScale, perm) == base);
    }
}

TEST_CASE("MLA decode: a single token attends to itself only", "[kernels]") {
    const Batch bt = make_batch({1}, 1, 2, 3);
    const auto out = run_paged(bt, kScale, identity(1));
    for (int h = 0; h < 2; ++h)
        for (int d = 0; d < kMlaLatentDim; ++d)
            CHECK(out[h * kMlaLatentDim + d] == bt.seq_kv[0][d]);
}

TEST_CASE("MLA decode: bad input throws naming the file and line", "[kernels]") {
    const Batch bt = make_batch({70}, 1, 1, 1);
    std::vector<float> cache(2 * kMlaBlockSize * kMlaKDim, 0.0f);
    std::vector<std::int32_t> table{0, 1};
    std::vector<float> out(kMlaLatentDim);
    MlaDecodeParams p{1, 1, 1, kScale, bt.lens, bt.q, cache, table, 2, out};
    REQUIRE_NOTHROW(mla_decode_reference(p));
    std::vector<std::int32_t> bad_table{0, 2};
    auto bad = p;
    bad.block_table = bad_table;
    CHECK_THROWS_WITH(mla_decode_reference(bad), Catch::Contains("mla_decode.cpp:") &&
                                                     Catch::Contains("outside the cache"));
    const std::vector<int> too_long{129};
    bad = p;
    bad.seq_lens = too_long;
    CHECK_THROWS_WITH(mla_decode_reference(bad), Catch::Contains("beyond its block table"));
    bad = p;
    bad.s_q = 2;  // q and out no longer match
    CHECK_THROWS_AS(mla_decode_reference(bad), moesim::InternalError);
    bad = p;
    bad.softmax_scale = 0.0f;
    CHECK_THROWS_AS(mla_decode_reference(bad), moesim::InternalError);
}

TEST_CASE("MLA decode: FlashMLA FLOP and byte formulas", "[kernels]") {
    // The production shape: b 128, s_k 4096 each, h_q 128, s_q 1.
    const std::vector<int> lens(128, 4096);
    CHECK(flashmla_flops(1, lens, 128) == 146028888064.0);  // 2·1·524288·128·1088
    CHECK(flashmla_bytes(1, lens, 128) == 639631360.0);     // 2·(524288·576 + 128·128·1088)
    const std::vector<int> ragged{3, 70, 129};
    CHECK(flashmla_flops(2, ragged, 16) == 14065664.0);     // 2·2·202·16·1088
    CHECK(flashmla_bytes(2, ragged, 16) == 441600.0);       // 2·(202·576 + 3·2·16·1088)
}
