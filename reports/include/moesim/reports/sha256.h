#pragma once
// SHA-256 (FIPS 180-4), for the `runs.scenario_sha256` column: which scenario produced a
// run, byte for byte. Written here so the store needs no crypto library; it is not
// constant-time and is not meant for secrets.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace moesim::report {

class Sha256 {
public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();
    Sha256& update(std::string_view bytes);
    Digest finish();  // the object is spent afterwards

private:
    void compress(const std::uint8_t* block);

    std::array<std::uint32_t, 8> state_;
    std::array<std::uint8_t, 64> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t length_bytes_ = 0;
};

Sha256::Digest sha256(std::string_view bytes);
// Lower-case hexadecimal, 64 characters.
std::string sha256_hex(std::string_view bytes);

}  // namespace moesim::report
