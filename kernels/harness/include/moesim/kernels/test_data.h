#pragma once
// Deterministic inputs for the kernels' checks and benchmarks (splitmix64: fast enough to fill
// the largest V3 operands, ~10^8 values, in well under a second), and the choice of which
// output elements a check recomputes on the CPU when the whole output is too large.
#include <cstdint>
#include <vector>

namespace moesim::kernels {

class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    double uniform();  // [0, 1), 53 bits
private:
    std::uint64_t state_;
};

// E4M3 codes spread over every finite value of either sign (NaN codes replaced by ±448).
std::vector<std::uint8_t> random_fp8_codes(std::size_t count, std::uint64_t seed);

// BF16 bit patterns of ±(1 + m/128)·2^e with e uniform in [min_exp, max_exp] (both signs;
// no zeros, subnormals, infinities or NaN).
std::vector<std::uint16_t> random_bf16(std::size_t count, std::uint64_t seed, int min_exp = -3,
                                       int max_exp = 0);

// Positive FP32 scales 2^e·(1 + u) with e uniform in [min_exp, max_exp] and u in [0, 1).
std::vector<float> random_scales(std::size_t count, std::uint64_t seed, int min_exp = -6,
                                 int max_exp = 2);

// `count` distinct indices in [0, n), sorted, always holding 0 and n − 1 (where count ≥ 2)
// and chosen at random otherwise; all of [0, n) when count ≥ n. Edges are where tiling bugs
// show; the random rest covers the interior.
std::vector<int> sample_indices(int n, int count, std::uint64_t seed);

}  // namespace moesim::kernels
