// cuBLASLt is loaded on first use (cublaslt_api.h): the library CMake found opens and every
// function the baselines call resolves. Needs no GPU; built in CUDA builds only.
#include <catch2/catch.hpp>

#include <string>

#include "moesim/kernels/cublaslt_api.h"

using namespace moesim::kernels;

TEST_CASE("cuBLASLt loads on first use and its functions resolve", "[kernels]") {
    const CublasLtApi& api = cublaslt();
    CHECK(api.cublasLtCreate != nullptr);
    CHECK(api.cublasLtMatmul != nullptr);
    CHECK(api.cublasLtMatrixLayoutDestroy != nullptr);
    CHECK(&cublaslt() == &api);  // loaded once
    REQUIRE(api.cublasLtGetStatusName != nullptr);
    CHECK(std::string(api.cublasLtGetStatusName(CUBLAS_STATUS_NOT_SUPPORTED)) == "CUBLAS_STATUS_NOT_SUPPORTED");
}
