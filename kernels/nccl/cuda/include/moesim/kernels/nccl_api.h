#pragma once
// NCCL, loaded when first used (as cuBLASLt is, baselines/cuda/cublaslt_api.h). Linked, a
// missing libnccl.so.2 stopped every process that links the kernels — every `moesim` verb —
// in the loader before main; loaded, `moesim calibrate` can say that NCCL is missing and exit 2
// (issue 6, bad input). The header gives the types; the functions come from dlopen of the
// library CMake found, or of the file MOESIM_NCCL_LIBRARY names when that is set.
#include <nccl.h>

#include <string>
#include <vector>

#include "moesim/kernels/nccl_bench.h"  // NcclError

namespace moesim::kernels {

struct NcclApi {
#define MOESIM_NCCL_FUNCTION(name) decltype(&::name) name = nullptr;
    MOESIM_NCCL_FUNCTION(ncclGetVersion)
    MOESIM_NCCL_FUNCTION(ncclGetErrorString)
    MOESIM_NCCL_FUNCTION(ncclCommInitAll)
    MOESIM_NCCL_FUNCTION(ncclCommDestroy)
    MOESIM_NCCL_FUNCTION(ncclGroupStart)
    MOESIM_NCCL_FUNCTION(ncclGroupEnd)
    MOESIM_NCCL_FUNCTION(ncclAllReduce)
    MOESIM_NCCL_FUNCTION(ncclAllGather)
    MOESIM_NCCL_FUNCTION(ncclReduceScatter)
    MOESIM_NCCL_FUNCTION(ncclSend)
    MOESIM_NCCL_FUNCTION(ncclRecv)
#undef MOESIM_NCCL_FUNCTION
};

// The libraries tried, in order: $MOESIM_NCCL_LIBRARY alone when set (to use another NCCL, or
// none: a path that does not exist), else the library CMake found, then "libnccl.so.2".
std::vector<std::string> nccl_library_candidates();

// Opens `library` and resolves every function; throws NcclError naming the library and
// dlerror's text when it cannot be loaded or lacks a function.
NcclApi load_nccl(const std::string& library);

// load_nccl of the first candidate that loads, once per process (a failure is retried on the
// next call); throws NcclError naming every candidate tried.
const NcclApi& nccl();

}  // namespace moesim::kernels
