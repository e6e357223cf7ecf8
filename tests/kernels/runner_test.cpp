// runner.h on this build: without CUDA the stub must say so and refuse to measure; with CUDA,
// query_device() must either describe a device or give the reason there is none, report the
// runtime's and NCCL's versions, and run_suite() must refuse when there is no device.
#include <catch2/catch.hpp>

#include <regex>

#include "moesim/kernels/runner.h"

using namespace moesim::kernels;

TEST_CASE("query_device says why it cannot measure, and run_suite refuses then", "[kernels]") {
    const DeviceInfo info = query_device();
    INFO("unavailable_reason: " << info.unavailable_reason);
#ifndef MOESIM_KERNELS_HAVE_CUDA
    CHECK_FALSE(info.available);
    CHECK(info.unavailable_reason.rfind("built without CUDA", 0) == 0);
    CHECK(info.device_count == 0);
    CHECK_FALSE(info.nccl_available);
    CHECK(info.cuda_version.empty());
#else
    CHECK(std::regex_match(info.cuda_version, std::regex(R"(\d+\.\d)")));
#ifdef MOESIM_KERNELS_HAVE_NCCL
    CHECK(info.nccl_available);
    CHECK(std::regex_match(info.nccl_version, std::regex(R"(2\.\d+\.\d+)")));
#else
    CHECK_FALSE(info.nccl_available);
#endif
#endif
    if (info.available) {
        CHECK(info.unavailable_reason.empty());
        CHECK(info.device_count > 0);
        CHECK_FALSE(info.name.empty());
        CHECK(info.sm_count > 0);
        CHECK(info.cc_major >= 8);
        CHECK(info.memory_bytes > 0);
        CHECK(info.sm_clock_MHz > 0);
    } else {
        // A GPU-less machine with CUDA: "no CUDA device: …"; an old GPU: its compute capability.
        CHECK((info.unavailable_reason.rfind("built without CUDA", 0) == 0 ||
               info.unavailable_reason.rfind("no CUDA device: ", 0) == 0 ||
               info.unavailable_reason.find("compute capability") != std::string::npos));
        CHECK(info.device_count == 0);
        CHECK_THROWS_AS(run_suite(SuitePlan{true}), KernelUnavailable);
    }
}
