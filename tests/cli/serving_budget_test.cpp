// The serving decode-iteration budget end to end: the campaign's leftover (DeepSeek-V2 serving
// at duration_s 1e6, over 20 s a run before the budget) is refused up front, exit 2, nothing written.
#include <catch2/catch.hpp>

#include <filesystem>

#include "run_moesim.h"

using namespace moesim;

TEST_CASE("the DeepSeek-V2 serving scenario at duration_s 1.5e5 is refused up front, exit 2", "[cli][ranges]") {
    test::TempDir tmp;
    const auto r = test::run_moesim(tmp, "run", test::source_path("scenarios/deepseek-v2-serve-8xh800.json"), "--set",
                                    "/inference/traffic/duration_s=1.5e5", "--db", (tmp / "r.sqlite").string());
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Contains("/inference/traffic/duration_s") && Catch::Contains("decode iterations") &&
                          Catch::Contains("budget of 1e+07"));
    CHECK_FALSE(std::filesystem::exists(tmp / "r.sqlite"));
}
