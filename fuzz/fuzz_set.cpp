// `--set` pointers and values, applied to a bundled scenario: the input is one override.
#include "fuzz_common.h"
#include "moesim/common/input_file.h"
#include "moesim/workload/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string base = moesim::read_input_file(MOESIM_FUZZ_SCENARIO, "scenario", 1 << 20);
    moesim::fuzz::user_errors_only([&] {
        (void)moesim::workload::load_scenario_text(base, "base.json", {moesim::fuzz::text(data, size)});
    });
    return 0;
}
