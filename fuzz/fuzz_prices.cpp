// The price-file reader (reports/src/price_file.cpp) through its path entry point.
#include "fuzz_common.h"
#include "moesim/reports/price_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = moesim::fuzz::scratch_file("prices.json", moesim::fuzz::text(data, size));
    moesim::fuzz::user_errors_only([&] { (void)moesim::report::load_price_file(path); });
    return 0;
}
