#include "moesim/kernels/nccl_api.h"

#include <cstdlib>

#include "moesim/kernels/shared_library.h"

namespace moesim::kernels {
namespace {

template <typename F>
void resolve(void* handle, const std::string& library, F& function, const char* name) {
    if (!resolve_function(handle, name, function)) throw NcclError("NCCL library " + library + " lacks " + name);
}

}  // namespace

std::vector<std::string> nccl_library_candidates() {
    if (const char* chosen = std::getenv("MOESIM_NCCL_LIBRARY"); chosen && *chosen) return {chosen};
    return {MOESIM_NCCL_LIBRARY_PATH, "libnccl.so.2"};
}

NcclApi load_nccl(const std::string& library) {
    std::string error;
    void* handle = open_shared_library(library, error);
    if (!handle) throw NcclError("cannot load NCCL (" + library + "): " + error);
    NcclApi api;
#define MOESIM_RESOLVE(name) resolve(handle, library, api.name, #name);
    MOESIM_RESOLVE(ncclGetVersion)
    MOESIM_RESOLVE(ncclGetErrorString)
    MOESIM_RESOLVE(ncclCommInitAll)
    MOESIM_RESOLVE(ncclCommDestroy)
    MOESIM_RESOLVE(ncclGroupStart)
    MOESIM_RESOLVE(ncclGroupEnd)
    MOESIM_RESOLVE(ncclAllReduce)
    MOESIM_RESOLVE(ncclAllGather)
    MOESIM_RESOLVE(ncclReduceScatter)
    MOESIM_RESOLVE(ncclSend)
    MOESIM_RESOLVE(ncclRecv)
#undef MOESIM_RESOLVE
    return api;
}

namespace {

NcclApi load_first() {
    std::string errors;
    for (const std::string& library : nccl_library_candidates()) {
        try {
            return load_nccl(library);
        } catch (const NcclError& e) {
            errors += (errors.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    throw NcclError(errors);
}

}  // namespace

const NcclApi& nccl() {
    static const NcclApi api = load_first();
    return api;
}

}  // namespace moesim::kernels
