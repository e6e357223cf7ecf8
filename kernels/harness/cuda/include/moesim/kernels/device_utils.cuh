#pragma once
// Device-side building blocks shared by the GEMM and attention kernels: asynchronous copies
// into shared memory (sm_80+), ldmatrix, and the warp-level tensor-core MMAs, each a thin
// wrapper over one PTX instruction (PTX ISA: cp.async, ldmatrix, mma.sync).
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace moesim::kernels::device {

__device__ __forceinline__ std::uint32_t smem_address(const void* p) {
    return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global → shared, bypassing L1. With valid == false nothing is read and the 16
// bytes are zero-filled (src-size 0), so out-of-range rows cost no memory traffic.
__device__ __forceinline__ void cp_async_16(void* smem, const void* global, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_address(smem)),
                 "l"(global), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

// Four 8×8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i, and register i
// receives matrix i in the MMA fragment layout (.trans: transposed).
__device__ __forceinline__ void ldmatrix_x4(std::uint32_t (&r)[4], const void* smem_row) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_address(smem_row)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(std::uint32_t (&r)[4], const void* smem_row) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_address(smem_row)));
}

// D += A · B for one 16×8 tile, BF16 inputs, FP32 accumulators (sm_80+). Fragments, with
// g = lane / 4 and t = lane % 4: a[0] (row g, k 2t..2t+1), a[1] (row g+8, same k), a[2] (row g,
// k 2t+8..), a[3] (row g+8, k 2t+8..); b[0] (k 2t..2t+1, column g), b[1] (k 2t+8.., column g);
// c[0..1] (row g, columns 2t, 2t+1), c[2..3] (row g+8, same columns).
__device__ __forceinline__ void mma_bf16_16x8x16(float (&c)[4], const std::uint32_t (&a)[4],
                                                 const std::uint32_t (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// The same for E4M3 inputs, k = 32: four 8-bit values per register, a[0]/a[1] and b[0] over one
// half of k, a[2]/a[3] and b[1] over the other (sm_89+). Callers that permute k identically in A
// and B (the GEMM below) do not depend on which 4 k-values each byte quadruple holds.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
#define MOESIM_HAVE_FP8_MMA 1
__device__ __forceinline__ void mma_e4m3_16x8x32(float (&c)[4], const std::uint32_t (&a)[4],
                                                 const std::uint32_t (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#endif

__device__ __forceinline__ std::uint32_t pack_bf16x2(float lo, float hi) {
    const __nv_bfloat162 b = __floats2bfloat162_rn(lo, hi);  // round to nearest even
    return *reinterpret_cast<const std::uint32_t*>(&b);
}

}  // namespace moesim::kernels::device
