#include "moesim/kernels/nccl_api.h"

#include <dlfcn.h>

#include <cstdlib>

namespace moesim::kernels {
namespace {

template <typename F>
void resolve(void* handle, const std::string& library, F& function, const char* name) {
    function = reinterpret_cast<F>(dlsym(handle, name));
    if (!function) throw NcclError("NCCL library " + library + " lacks " + name);
}

}  // namespace

std::vector<std::string> nccl_library_candidates() {
    if (const char* chosen = std::getenv("MOESIM_NCCL_LIBRARY"); chosen && *chosen) return {chosen};
    return {MOESIM_NCCL_LIBRARY_PATH, "libnccl.so.2"};
}

NcclApi load_nccl(const std::string& library) {
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);  // kept open for the life of the process
    if (!handle) {
        const char* error = dlerror();
        throw NcclError("cannot load NCCL (" + library + "): " + (error ? error : "unknown error"));
    }
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
