// The scenario reader end to end: strict JSON, schema 1 sections, ranges, cross-checks.
#include "fuzz_common.h"
#include "moesim/workload/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    moesim::fuzz::user_errors_only(
        [&] { (void)moesim::workload::load_scenario_text(moesim::fuzz::text(data, size), "fuzz.json", {}); });
    return 0;
}
