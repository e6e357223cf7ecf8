// runner.h on this build: without CUDA the stub must say so and refuse to measure; with CUDA,
// query_device() must either describe a device or give the reason there is none, and
// run_suite() must refuse when there is none.
#include <catch2/catch.hpp>

#include "moesim/kernels/runner.h"

using namespace moesim::kernels;

TEST_CASE("query_device says why it cannot measure, and run_suite refuses then", "[kernels]") {
    const DeviceInfo info = query_device();
#ifndef MOESIM_KERNELS_HAVE_CUDA
    CHECK_FALSE(info.available);
    CHECK(info.unavailable_reason.rfind("built without CUDA", 0) == 0);
    CHECK(info.device_count == 0);
    CHECK_FALSE(info.nccl_available);
#endif
    if (info.available) {
        CHECK(info.unavailable_reason.empty());
        CHECK(info.device_count > 0);
        CHECK_FALSE(info.name.empty());
        CHECK(info.sm_count > 0);
        CHECK(info.cc_major >= 7);
        CHECK(info.memory_bytes > 0);
    } else {
        CHECK_FALSE(info.unavailable_reason.empty());
        CHECK(info.device_count == 0);
        CHECK_THROWS_AS(run_suite(SuitePlan{true}), KernelUnavailable);
    }
}
