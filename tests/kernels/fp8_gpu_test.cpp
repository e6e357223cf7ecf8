// The GPU E4M3 codec and 1×128 quantization against the CPU codec, bit for bit.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "gpu_test_util.h"
#include "moesim/kernels/cuda_stream.h"
#include "moesim/kernels/device_buffer.h"
#include "moesim/kernels/fp8.h"
#include "moesim/kernels/fp8_cuda.h"
#include "moesim/kernels/fp8_gemm.h"
#include "moesim/kernels/test_data.h"

using namespace moesim::kernels;

TEST_CASE("GPU E4M3 decode and encode agree with the CPU codec", "[.gpu]") {
    require_gpu();
    CudaStream stream;
    std::vector<std::uint8_t> all(256);
    for (int c = 0; c < 256; ++c) all[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c);
    DeviceBuffer<std::uint8_t> codes(all);
    DeviceBuffer<float> decoded(256);
    launch_fp8_decode(codes.get(), 256, decoded.get(), stream.get());
    stream.synchronize();
    const auto got = decoded.download();
    for (int c = 0; c < 256; ++c) {
        INFO("code " << c);
        const float want = fp8_e4m3_decode(static_cast<std::uint8_t>(c));
        if (std::isnan(want)) CHECK(std::isnan(got[static_cast<std::size_t>(c)]));
        else CHECK(std::memcmp(&want, &got[static_cast<std::size_t>(c)], sizeof want) == 0);  // -0 included
    }
    // Values around every code (midpoints: ties to even), beyond ±448 (saturation), subnormals.
    std::vector<float> x;
    for (int c = 0; c < 256; ++c) {
        const float v = fp8_e4m3_decode(static_cast<std::uint8_t>(c));
        if (std::isnan(v)) continue;
        for (float f : {0.999f, 1.0f, 1.0001f, 1.03125f, 1.0625f, 1.09375f}) x.push_back(v * f);
    }
    for (float v : {449.0f, 464.0f, 480.0f, 1e6f, INFINITY, -INFINITY, 1e-12f, -1e-12f, 0.0f, -0.0f}) x.push_back(v);
    SplitMix64 rng(1);
    for (int i = 0; i < 100000; ++i) x.push_back(static_cast<float>((rng.uniform() - 0.5) * std::ldexp(1.0, static_cast<int>(rng.next() % 30) - 15)));
    DeviceBuffer<float> dx(x);
    DeviceBuffer<std::uint8_t> enc(x.size());
    launch_fp8_encode(dx.get(), x.size(), enc.get(), stream.get());
    stream.synchronize();
    const auto got_codes = enc.download();
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) wrong += got_codes[i] != fp8_e4m3_encode(x[i]);
    CHECK(wrong == 0u);
}

TEST_CASE("GPU 1x128 quantization equals quantize_1x128", "[.gpu]") {
    require_gpu();
    CudaStream stream;
    for (auto [rows, cols] : {std::pair{1, 128}, std::pair{7, 300}, std::pair{130, 7168}}) {
        INFO(rows << " x " << cols);
        std::vector<float> x(static_cast<std::size_t>(rows) * cols);
        SplitMix64 rng(static_cast<std::uint64_t>(rows * cols));
        for (std::size_t i = 0; i < x.size(); ++i)
            x[i] = static_cast<float>((rng.uniform() - 0.5) * std::ldexp(1.0, static_cast<int>((i / 128) % 20) - 10));
        if (cols > 128) std::fill_n(x.begin() + 128, 128, 0.0f);  // an all-zero tile: scale 1
        const Fp8Matrix want = quantize_1x128(x, rows, cols);
        DeviceBuffer<float> dx(x), scales(want.scales.size());
        DeviceBuffer<std::uint8_t> codes(x.size());
        launch_fp8_quantize_1x128(dx.get(), rows, cols, codes.get(), scales.get(), stream.get());
        stream.synchronize();
        CHECK(codes.download() == want.codes);
        CHECK(scales.download() == want.scales);
    }
}
