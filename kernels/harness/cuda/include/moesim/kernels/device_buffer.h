#pragma once
// Owning device memory for host code: allocation, upload, download, freed on destruction.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "moesim/kernels/cuda_check.h"

namespace moesim::kernels {

template <typename T>
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t count) : count_(count) {
        if (count_ > 0) MOESIM_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), bytes()));
    }
    explicit DeviceBuffer(std::span<const T> host) : DeviceBuffer(host.size()) { upload(host); }
    ~DeviceBuffer() {
        if (ptr_) cudaFree(ptr_);  // no throw from a destructor; a sticky error shows elsewhere
    }
    DeviceBuffer(DeviceBuffer&& o) noexcept
        : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
        std::swap(ptr_, o.ptr_);
        std::swap(count_, o.count_);
        return *this;
    }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;

    T* get() const { return ptr_; }
    std::size_t size() const { return count_; }
    std::size_t bytes() const { return count_ * sizeof(T); }

    void upload(std::span<const T> host) {
        check_size(host.size());
        if (count_ > 0)
            MOESIM_CUDA_CHECK(cudaMemcpy(ptr_, host.data(), bytes(), cudaMemcpyHostToDevice));
    }
    std::vector<T> download() const { return download(0, count_); }
    // Elements [first, first + count).
    std::vector<T> download(std::size_t first, std::size_t count) const {
        if (first > count_ || count > count_ - first)
            throw CudaError("DeviceBuffer::download: range beyond the buffer");
        std::vector<T> host(count);
        if (count > 0)
            MOESIM_CUDA_CHECK(cudaMemcpy(host.data(), ptr_ + first, count * sizeof(T),
                                         cudaMemcpyDeviceToHost));
        return host;
    }
    void zero() {
        if (count_ > 0) MOESIM_CUDA_CHECK(cudaMemset(ptr_, 0, bytes()));
    }

private:
    void check_size(std::size_t n) const {
        if (n != count_) throw CudaError("DeviceBuffer::upload: host size differs from the buffer");
    }
    T* ptr_ = nullptr;
    std::size_t count_ = 0;
};

}  // namespace moesim::kernels
