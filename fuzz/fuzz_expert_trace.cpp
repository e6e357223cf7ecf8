// The expert-trace CSV reader (moe_routing.cpp), for a 256-expert layer.
#include "fuzz_common.h"
#include "moesim/workload/moe_routing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    moesim::fuzz::user_errors_only([&] {
        std::vector<int> layers;
        std::vector<std::vector<double>> counts;
        moesim::workload::parse_expert_trace(moesim::fuzz::text(data, size), 256, "s.json",
                                             "/training/moe/expert_load/file", layers, counts);
    });
    return 0;
}
