#pragma once
// For the [.gpu] tests (hidden; run on a GPU machine with `kernels_gpu_tests "[gpu]"`): stop with
// the reason when this machine cannot run them, instead of failing inside a CUDA call.
#include <catch2/catch.hpp>

#include "moesim/kernels/runner.h"

inline void require_gpu() {
    const moesim::kernels::DeviceInfo info = moesim::kernels::query_device();
    INFO("query_device: " << info.unavailable_reason);
    REQUIRE(info.available);
}
