#pragma once
// A shared library opened at run time, and its functions: cuBLASLt and NCCL are loaded this way
// on first use (cublaslt_api.h, nccl_api.h say why), so that a machine without them can still
// run every verb that does not need them. The caller turns a failure into its own error.
#include <string>

namespace moesim::kernels {

// dlopen(path), kept open for the life of the process; nullptr with `error` set to dlerror's
// text when it cannot be loaded.
void* open_shared_library(const std::string& path, std::string& error);

// Sets `function` to the library's `name`; false when the library lacks it.
bool resolve_function(void* library, const char* name, void*& function);
template <typename F>
bool resolve_function(void* library, const char* name, F& function) {
    void* f = nullptr;
    const bool found = resolve_function(library, name, f);
    function = reinterpret_cast<F>(f);
    return found;
}

}  // namespace moesim::kernels
