#pragma once
// The HBM copy baseline on the GPU (C++17, includable from .cu files). Errors throw CudaError
// (file:line, the failing call).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace moesim::kernels {

// dst ← src over size_bytes (a multiple of 16; both pointers 16-byte aligned), 16-byte
// vectors, a grid sized to keep every SM busy.
void hbm_copy(const void* src, void* dst, std::size_t size_bytes, cudaStream_t stream);

// Writes 32-bit word i of buf as pattern_word(i, seed); counts the words that differ.
void fill_pattern(void* buf, std::size_t size_bytes, std::uint32_t seed, cudaStream_t stream);
std::uint64_t count_pattern_mismatches(const void* buf, std::size_t size_bytes, std::uint32_t seed,
                                       cudaStream_t stream);

}  // namespace moesim::kernels
