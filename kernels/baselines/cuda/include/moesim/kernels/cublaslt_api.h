#pragma once
// cuBLASLt, loaded when first used. Linking it costs every process that links the kernels
// ~1.2 s and 200 MB at start-up (its static initialisation; measured here with an empty
// program), which `moesim` and each test process would pay without ever running a GEMM.
// The headers give the types; the functions come from dlopen of the library CMake found.
#include <cublasLt.h>

namespace moesim::kernels {

struct CublasLtApi {
#define MOESIM_CUBLASLT_FUNCTION(name) decltype(&::name) name = nullptr;
    MOESIM_CUBLASLT_FUNCTION(cublasLtCreate)
    MOESIM_CUBLASLT_FUNCTION(cublasLtDestroy)
    MOESIM_CUBLASLT_FUNCTION(cublasLtGetStatusName)
    MOESIM_CUBLASLT_FUNCTION(cublasLtGetStatusString)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmul)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulAlgoGetHeuristic)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulDescCreate)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulDescDestroy)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulDescSetAttribute)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulPreferenceCreate)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulPreferenceDestroy)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatmulPreferenceSetAttribute)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatrixLayoutCreate)
    MOESIM_CUBLASLT_FUNCTION(cublasLtMatrixLayoutDestroy)
#undef MOESIM_CUBLASLT_FUNCTION
};

// Loads the library and its functions once; throws CudaError (with dlerror's text) when the
// library or a function is missing.
const CublasLtApi& cublaslt();

}  // namespace moesim::kernels
