// The Hugging Face config.json reader (model_config.cpp).
#include "fuzz_common.h"
#include "moesim/common/json_document.h"
#include "moesim/workload/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    moesim::fuzz::user_errors_only([&] {
        const auto doc = moesim::parse_json_document(moesim::fuzz::text(data, size), "m.json");
        (void)moesim::workload::parse_model_config(doc, "m.json");
    });
    return 0;
}
