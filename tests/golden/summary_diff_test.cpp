// The golden comparison itself: what it lets through and what it reports.
#include <catch2/catch.hpp>

#include "summary_diff.h"

using moesim::test::summary_differences;
using nlohmann::json;

namespace {

const json kGolden = json::parse(R"({
  "name": "v3", "gpus": 2048, "step_time_s": 17.904606405363936, "bubble_fraction": -4.6e-14,
  "breakdown": [{"category": "gemm", "seconds": 2.1896221224284513}],
  "ttft_ms": {"p50": 150.4}
})");

}  // namespace

TEST_CASE("an identical summary has no differences", "[golden]") {
    CHECK(summary_differences(kGolden, kGolden).empty());
}

TEST_CASE("floating-point noise passes, a real change is named by its JSON pointer", "[golden]") {
    json got = kGolden;
    got["step_time_s"] = 17.904606405363936 * (1 + 1e-12);
    got["bubble_fraction"] = 1.1e-16;
    CHECK(summary_differences(kGolden, got).empty());

    got["breakdown"][0]["seconds"] = 2.1896221224284513 * (1 + 1e-8);
    const auto d = summary_differences(kGolden, got);
    REQUIRE(d.size() == 1);
    CHECK(d[0].rfind("/breakdown/0/seconds: ", 0) == 0);
}

TEST_CASE("integers and strings must match exactly", "[golden]") {
    json got = kGolden;
    got["gpus"] = 2047;
    got["name"] = "v3 ";
    const auto d = summary_differences(kGolden, got);
    REQUIRE(d.size() == 2);
    CHECK(d[0].rfind("/gpus: ", 0) == 0);
    CHECK(d[1].rfind("/name: ", 0) == 0);
}

TEST_CASE("missing, new and retyped fields and a changed array length are reported", "[golden]") {
    json got = kGolden;
    got.erase("ttft_ms");
    got["tpot_ms"] = 3.0;
    got["breakdown"].push_back(json{{"category", "attention"}, {"seconds", 1.0}});
    got["name"] = 1;
    const auto d = summary_differences(kGolden, got);
    REQUIRE(d.size() == 4);
    CHECK(d[0] == "/breakdown: golden has 1 elements, the run 2");
    CHECK(d[1].rfind("/name: golden is string", 0) == 0);
    CHECK(d[2] == "/ttft_ms: in the golden file, missing from the run");
    CHECK(d[3] == "/tpot_ms: new in the run (3.0)");
}
