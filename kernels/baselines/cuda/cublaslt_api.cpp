#include "moesim/kernels/cublaslt_api.h"

#include <string>

#include "moesim/kernels/cuda_check.h"
#include "moesim/kernels/shared_library.h"

namespace moesim::kernels {
namespace {

void* open_library() {
    // The library CMake linked against at configure time, else whatever the loader finds.
    std::string error;
    for (const char* name : {MOESIM_CUBLASLT_LIBRARY, "libcublasLt.so"}) {
        if (void* handle = open_shared_library(name, error)) return handle;
    }
    throw CudaError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": cannot load cuBLASLt (" +
                    MOESIM_CUBLASLT_LIBRARY + "): " + error);
}

template <typename F>
void resolve(void* handle, F& function, const char* name) {
    if (!resolve_function(handle, name, function))
        throw CudaError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": cuBLASLt lacks " + name);
}

CublasLtApi load() {
    void* handle = open_library();  // kept open for the life of the process
    CublasLtApi api;
#define MOESIM_RESOLVE(name) resolve(handle, api.name, #name);
    MOESIM_RESOLVE(cublasLtCreate)
    MOESIM_RESOLVE(cublasLtDestroy)
    MOESIM_RESOLVE(cublasLtGetStatusName)
    MOESIM_RESOLVE(cublasLtGetStatusString)
    MOESIM_RESOLVE(cublasLtMatmul)
    MOESIM_RESOLVE(cublasLtMatmulAlgoGetHeuristic)
    MOESIM_RESOLVE(cublasLtMatmulDescCreate)
    MOESIM_RESOLVE(cublasLtMatmulDescDestroy)
    MOESIM_RESOLVE(cublasLtMatmulDescSetAttribute)
    MOESIM_RESOLVE(cublasLtMatmulPreferenceCreate)
    MOESIM_RESOLVE(cublasLtMatmulPreferenceDestroy)
    MOESIM_RESOLVE(cublasLtMatmulPreferenceSetAttribute)
    MOESIM_RESOLVE(cublasLtMatrixLayoutCreate)
    MOESIM_RESOLVE(cublasLtMatrixLayoutDestroy)
#undef MOESIM_RESOLVE
    return api;
}

}  // namespace

const CublasLtApi& cublaslt() {
    static const CublasLtApi api = load();
    return api;
}

}  // namespace moesim::kernels
