// NCCL is loaded on first use (nccl_api.h): the library CMake found opens and every function the
// sweep calls resolves; a library that cannot be loaded is an NcclError naming it, and
// query_device() then reports NCCL unavailable with that reason instead of the process failing
// to start. Needs no GPU; built in CUDA builds with NCCL only (tests/kernels/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "moesim/kernels/nccl_api.h"
#include "moesim/kernels/runner.h"

using namespace moesim::kernels;
using Catch::Contains;

TEST_CASE("NCCL loads on first use and its functions resolve", "[kernels]") {
    REQUIRE(std::getenv("MOESIM_NCCL_LIBRARY") == nullptr);
    const NcclApi& api = nccl();
    CHECK(api.ncclCommInitAll != nullptr);
    CHECK(api.ncclRecv != nullptr);
    CHECK(&nccl() == &api);  // loaded once
    int version = 0;
    REQUIRE(api.ncclGetVersion(&version) == ncclSuccess);
    CHECK(version >= 20000);
    CHECK(std::string(api.ncclGetErrorString(ncclInvalidArgument)).size() > 0);
    const DeviceInfo info = query_device();
    CHECK(info.nccl_available);
    CHECK(info.nccl_unavailable_reason.empty());
}

TEST_CASE("an NCCL library that cannot be loaded is an error naming it", "[kernels]") {
    CHECK_THROWS_AS(load_nccl("/nonexistent/libnccl.so.2"), NcclError);
    CHECK_THROWS_WITH(load_nccl("/nonexistent/libnccl.so.2"),
                      Contains("cannot load NCCL (/nonexistent/libnccl.so.2): "));
    // A library that loads but is not NCCL.
    CHECK_THROWS_WITH(load_nccl("libc.so.6"), Contains("NCCL library libc.so.6 lacks ncclGetVersion"));
}

TEST_CASE("MOESIM_NCCL_LIBRARY replaces the candidates", "[kernels]") {
    REQUIRE(setenv("MOESIM_NCCL_LIBRARY", "/elsewhere/libnccl.so.2", 1) == 0);
    const auto chosen = nccl_library_candidates();
    REQUIRE(unsetenv("MOESIM_NCCL_LIBRARY") == 0);
    CHECK(chosen == std::vector<std::string>{"/elsewhere/libnccl.so.2"});
    const auto found = nccl_library_candidates();
    REQUIRE(found.size() == 2);
    CHECK(found.back() == "libnccl.so.2");
}
