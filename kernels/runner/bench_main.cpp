// moesim_kernels_bench: runs the bundled kernel suite (runner.h) and prints one line per point —
// time, TFLOPS and GB/s from the analytic counts, algbw/busbw for collectives, and the reference
// check — without fitting or writing anything (that is `moesim calibrate`). For a GPU session:
//   moesim_kernels_bench [--quick] [--kind KIND]... [--warmup N] [--repetitions N]
// Exit status: 0 all points agree with their references, 1 some do not, 2 bad flags or no GPU.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "moesim/kernels/runner.h"
#include "moesim/kernels/suite_shapes.h"

namespace {

std::string shape_text(const moesim::kernels::Measurement& m) {
    std::string out;
    for (const auto& [key, value] : m.shape) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%s=%.0f", out.empty() ? "" : " ", key.c_str(), value);
        out += buf;
    }
    return out;
}

int usage(const char* why) {
    std::fprintf(stderr, "moesim_kernels_bench: %s\nusage: moesim_kernels_bench [--quick] [--kind KIND]... "
                         "[--warmup N] [--repetitions N]\nkinds:", why);
    for (const auto& k : moesim::kernels::suite_kinds()) std::fprintf(stderr, " %s", k.c_str());
    std::fprintf(stderr, "\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace moesim::kernels;
    SuitePlan plan;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--quick") {
            plan.quick = true;
        } else if (arg == "--kind" && has_value) {
            const std::string kind = argv[++i];
            const auto kinds = suite_kinds();
            if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) return usage(("unknown kind " + kind).c_str());
            plan.kinds.push_back(kind);
        } else if ((arg == "--warmup" || arg == "--repetitions") && has_value) {
            char* end = nullptr;
            const long n = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || n < (arg == "--warmup" ? 0 : 1) || n > 10000) return usage(("bad value for " + arg).c_str());
            (arg == "--warmup" ? plan.warmup : plan.repetitions) = static_cast<int>(n);
        } else {
            return usage(("unknown or incomplete argument " + arg).c_str());
        }
    }
    const DeviceInfo info = query_device();
    if (!info.available) {
        std::fprintf(stderr, "moesim_kernels_bench: cannot measure: %s\n", info.unavailable_reason.c_str());
        return 2;
    }
    std::printf("# %s, %d SMs, sm_%d%d, %d GPU(s), CUDA %s, driver %s, NCCL %s\n", info.name.c_str(), info.sm_count,
                info.cc_major, info.cc_minor, info.device_count, info.cuda_version.c_str(), info.driver_version.c_str(),
                info.nccl_available ? info.nccl_version.c_str() : "none");
    std::printf("# %-12s %-26s %-14s %-5s %-44s %11s %9s %9s %9s %9s %s\n", "kind", "impl", "op", "dtype", "shape",
                "time_us", "TFLOPS", "GB/s", "algbw", "busbw", "check");
    int failed = 0;
    try {
        run_suite(plan, [&](const Measurement& m) {
            failed += m.reference_ok ? 0 : 1;
            std::printf("  %-12s %-26s %-14s %-5s %-44s %11.2f %9.2f %9.2f %9.2f %9.2f %s (max error %.3g)\n",
                        m.kind.c_str(), m.impl.c_str(), m.op.c_str(), m.dtype.c_str(), shape_text(m).c_str(),
                        m.time_s * 1e6, m.TFLOPS, m.GBps, m.algbw_GBps, m.busbw_GBps, m.reference_ok ? "ok" : "WRONG",
                        m.max_error);
            if (!m.reference_ok) std::printf("    %s\n", m.check_detail.c_str());
            std::fflush(stdout);
        });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "moesim_kernels_bench: %s\n", e.what());
        return 2;
    }
    std::printf("# %d point(s) disagree with their reference\n", failed);
    return failed == 0 ? 0 : 1;
}
