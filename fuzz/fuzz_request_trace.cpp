// The request-trace CSV reader (sim/inference/src/requests.cpp).
#include "fuzz_common.h"
#include "moesim/inference/requests.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = moesim::fuzz::scratch_file("requests.csv", moesim::fuzz::text(data, size));
    moesim::fuzz::user_errors_only([&] { (void)moesim::inference::read_request_trace(path, "s.json", ""); });
    return 0;
}
