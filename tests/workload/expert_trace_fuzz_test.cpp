// Regression tests for libFuzzer findings in the expert-trace reader (fuzz/fuzz_expert_trace.cpp).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "moesim/common/error.h"
#include "moesim/workload/moe_routing.h"

using moesim::ScenarioError;
using moesim::workload::parse_expert_trace;

TEST_CASE("fuzz finding: an expert id far beyond the model's experts is refused before it sizes anything",
          "[workload][fuzz]") {
    // libFuzzer (fuzz_expert_trace, after 41,464 executions) found the row "3,23899999999999,1166":
    // the id resized a per-layer vector to ~190 TB (ASan: allocation size exceeds maximum).
    std::vector<int> layers;
    std::vector<std::vector<double>> counts;
    for (const char* id : {"256", "23899999999999", "9223372036854775807"}) {
        INFO(id);
        try {
            parse_expert_trace(std::string("layer,expert,tokens\n3,") + id + ",5\n", 256, "s.json",
                               "/training/moe/expert_load/file", layers, counts);
            FAIL("accepted");
        } catch (const ScenarioError& e) {
            CHECK(e.json_path() == "/training/moe/expert_load/file");
            CHECK_THAT(e.message(), Catch::Contains("out of range: the model has 256 routed experts"));
        }
    }
}
