#include "moesim/kernels/shared_library.h"

#include <dlfcn.h>

namespace moesim::kernels {

void* open_shared_library(const std::string& path, std::string& error) {
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* text = dlerror();
        error = text ? text : "unknown error";
    }
    return handle;
}

bool resolve_function(void* library, const char* name, void*& function) {
    function = dlsym(library, name);
    return function != nullptr;
}

}  // namespace moesim::kernels
