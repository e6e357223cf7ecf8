// The calibration-profile reader (calibration_profile.cpp).
#include "fuzz_common.h"
#include "moesim/common/json_document.h"
#include "moesim/hw/calibration_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    moesim::fuzz::user_errors_only([&] {
        const auto doc = moesim::parse_json_document(moesim::fuzz::text(data, size), "p.json");
        (void)moesim::hw::CalibrationProfile::from_json(doc, "p.json");
    });
    return 0;
}
