#include <catch2/catch.hpp>

#include <string>

#include "moesim/reports/sha256.h"

using moesim::report::Sha256;
using moesim::report::sha256_hex;

// FIPS 180-2, appendix B (and the NIST example values for SHA-256).
TEST_CASE("sha256 matches the FIPS 180 test vectors", "[report]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // 448 bits: the padding spills into a second block.
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // 896 bits.
    CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("sha256 of one million 'a', fed in uneven pieces", "[report]") {
    Sha256 hasher;
    const std::string piece(997, 'a');  // not a divisor of the 64-byte block
    std::size_t fed = 0;
    while (fed + piece.size() <= 1'000'000) {
        hasher.update(piece);
        fed += piece.size();
    }
    hasher.update(std::string(1'000'000 - fed, 'a'));
    const auto digest = hasher.finish();
    CHECK(digest[0] == 0xcd);
    CHECK(digest[31] == 0xd0);
    CHECK(sha256_hex(std::string(1'000'000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 gives the same digest however the input is split", "[report]") {
    // Lengths around the padding boundaries: 55 fits one block, 56 needs two.
    for (std::size_t length : {55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u}) {
        const std::string text(length, 'x');
        for (std::size_t split = 0; split <= length; split += 7) {
            Sha256 hasher;
            hasher.update(std::string_view(text).substr(0, split)).update(std::string_view(text).substr(split));
            CHECK(hasher.finish() == moesim::report::sha256(text));
        }
    }
}
