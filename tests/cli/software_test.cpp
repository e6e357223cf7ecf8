// `moesim run` and the software section (DESIGN.md §3): a wrong value or key is refused with
// exit status 2 naming the JSON path; a choice the profile has no table for names the key.
#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;

TEST_CASE("run: the software section's values and keys are checked", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    SECTION("an unknown attention kernel") {
        expect_rejected(tmp, {v3, "--set", "/software={\"attention\": \"fa4\"}"},
                        {at(v3, "/software/attention"), "unknown value \"fa4\"", "\"fa2\", \"fa3\", \"flashmla\""});
    }
    SECTION("an unknown EP kernel") {
        expect_rejected(tmp, {v3, "--set", "/software={\"ep_comm\": \"nccl\"}"},
                        {at(v3, "/software/ep_comm"), "unknown value \"nccl\"", "\"nccl-all2all\""});
    }
    SECTION("an unknown GEMM library") {
        expect_rejected(tmp, {v3, "--set", "/software={\"gemm\": \"cublas-fp8\"}"},
                        {at(v3, "/software/gemm"), "unknown value \"cublas-fp8\""});
    }
    SECTION("an unknown key") {
        expect_rejected(tmp, {v3, "--set", "/software={\"precision\": \"fp8\"}"}, {at(v3, "/software/precision"), "unknown key"});
    }
    SECTION("a kernel the scenario's profile has no points of") {
        json profile = load_json(source_path("calibrations/h800-published.json"));
        json kept = json::array();
        for (const auto& a : profile["attention"])
            if (a.value("kernel", "") != "fa2") kept.push_back(a);
        profile["attention"] = kept;
        write_text(tmp, "no-fa2.json", profile.dump(2));
        json doc = load_json(v3);
        doc["cluster"]["calibration"] = "no-fa2.json";
        doc["software"] = {{"attention", "fa2"}};
        const auto f = write_text(tmp, "v3.json", doc.dump(2));
        expect_rejected(tmp, {f}, {at(f, "/software/attention"), "no attention points of kernel \"fa2\""});
    }
}
