#include "moesim/kernels/test_data.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "moesim/common/error.h"

namespace moesim::kernels {

std::uint64_t SplitMix64::next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::vector<std::uint8_t> random_fp8_codes(std::size_t count, std::uint64_t seed) {
    SplitMix64 rng(seed);
    std::vector<std::uint8_t> out(count);
    std::size_t i = 0;
    while (i < count) {
        std::uint64_t bits = rng.next();
        for (int b = 0; b < 8 && i < count; ++b, bits >>= 8) {
            auto code = static_cast<std::uint8_t>(bits & 0xFF);
            if ((code & 0x7F) == 0x7F) code ^= 0x01;  // S.1111.111 is NaN: use ±448 instead
            out[i++] = code;
        }
    }
    return out;
}

std::vector<std::uint16_t> random_bf16(std::size_t count, std::uint64_t seed, int min_exp,
                                       int max_exp) {
    MOESIM_CHECK(min_exp <= max_exp && min_exp > -127 && max_exp < 128, "random_bf16: exponents");
    SplitMix64 rng(seed);
    const auto span = static_cast<std::uint64_t>(max_exp - min_exp + 1);
    std::vector<std::uint16_t> out(count);
    for (auto& v : out) {
        const std::uint64_t bits = rng.next();
        const auto sign = static_cast<std::uint16_t>((bits & 1) << 15);
        const auto mantissa = static_cast<std::uint16_t>((bits >> 1) & 0x7F);
        const auto exponent = static_cast<std::uint16_t>(min_exp + static_cast<int>((bits >> 8) % span) + 127);
        v = static_cast<std::uint16_t>(sign | (exponent << 7) | mantissa);
    }
    return out;
}

std::vector<float> random_scales(std::size_t count, std::uint64_t seed, int min_exp, int max_exp) {
    MOESIM_CHECK(min_exp <= max_exp, "random_scales: exponents");
    SplitMix64 rng(seed);
    const auto span = static_cast<std::uint64_t>(max_exp - min_exp + 1);
    std::vector<float> out(count);
    for (auto& v : out) {
        const int e = min_exp + static_cast<int>(rng.next() % span);
        v = std::ldexp(static_cast<float>(1.0 + rng.uniform()), e);
    }
    return out;
}

std::vector<int> sample_indices(int n, int count, std::uint64_t seed) {
    MOESIM_CHECK(n > 0 && count > 0, "sample_indices: empty range or sample");
    std::vector<int> out;
    if (count >= n) {
        out.resize(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) out[i] = i;
        return out;
    }
    std::set<int> chosen{0};
    if (count >= 2) chosen.insert(n - 1);
    SplitMix64 rng(seed);
    while (static_cast<int>(chosen.size()) < count)
        chosen.insert(static_cast<int>(rng.next() % static_cast<std::uint64_t>(n)));
    return {chosen.begin(), chosen.end()};
}

}  // namespace moesim::kernels
