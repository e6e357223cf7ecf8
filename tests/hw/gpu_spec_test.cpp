#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "moesim/common/error.h"
#include "moesim/hw/gpu_spec.h"
#include "moesim/hw/memory_reserve.h"

using moesim::ScenarioError;
using namespace moesim::hw;
using nlohmann::json;

namespace {
// Runs `f`, expecting a ScenarioError; returns it for inspection.
template <typename F>
ScenarioError scenario_error(F f) {
    try {
        f();
    } catch (const ScenarioError& e) {
        return e;
    }
    FAIL("expected a ScenarioError");
    return ScenarioError("", "", "");
}

std::string write_temp(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() / "moesim_hw_tests";
    std::filesystem::create_directories(dir);
    const auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
}
}  // namespace

TEST_CASE("built-in GPUs are H100, H200 and H800", "[hw]") {
    CHECK(builtin_gpu_names() == std::vector<std::string>{"H100", "H200", "H800"});
}

TEST_CASE("H800 spec carries PUBLISHED.md section B values", "[hw]") {
    const GpuSpec g = load_gpu("h800", "", json());  // case-insensitive
    CHECK(g.name == "H800");
    CHECK(g.sm_count == 132);
    CHECK(g.clock_MHz == 1830);
    CHECK(g.hbm_bytes == 84943110144.0);
    CHECK(g.hbm_GBps == 3350);
    CHECK(g.bf16_dense_TFLOPS == 989);
    CHECK(g.fp8_dense_TFLOPS == 1979);
    CHECK(g.nvlink_GBps == 200);  // 400 bidirectional
    CHECK(g.nics_per_gpu == 1);
    CHECK(g.nic_GBps() == Approx(50.0));
    CHECK(dense_peak_TFLOPS(g, Dtype::FP8) == 1979);
    CHECK(dense_peak_TFLOPS(g, Dtype::BF16) == 989);
}

TEST_CASE("H100 and H200 specs", "[hw]") {
    const GpuSpec h100 = load_gpu("H100", "", json());
    CHECK(h100.nvlink_GBps == 450);  // 900 bidirectional
    CHECK(h100.bf16_dense_TFLOPS == Approx(989.4));
    const GpuSpec h200 = load_gpu("H200", "", json());
    CHECK(h200.hbm_GBps == 4800);
    CHECK(h200.bf16_dense_TFLOPS == h100.bf16_dense_TFLOPS);
    CHECK(h200.fp8_dense_TFLOPS == h100.fp8_dense_TFLOPS);
}

TEST_CASE("GPU memory is what CUDA reports, for every GPU", "[hw]") {
    // The H800 is the H100 SXM board with NVLink cut: the same HBM3 stacks, the same
    // totalGlobalMem (PD train.json: 84,943,110,144 B). The H200 reports 143,156 MiB.
    const GpuSpec h800 = load_gpu("H800", "", json());
    CHECK(h800.hbm_bytes == 84943110144.0);
    CHECK(load_gpu("H100", "", json()).hbm_bytes == h800.hbm_bytes);
    CHECK(load_gpu("H200", "", json()).hbm_bytes == 143156.0 * 1024 * 1024);
}

TEST_CASE("the memory reserve: cited defaults, overridable, ranges checked", "[hw]") {
    for (const auto& name : builtin_gpu_names()) {
        const GpuSpec g = load_gpu(name, "", json());
        INFO(name);
        CHECK(g.runtime_reserve_bytes == 723.0 * 1024 * 1024);  // the PyTorch context measurement
        CHECK(g.ep_buffer_bytes == 3e9);                        // DeepEP's 2e9 NVLink + 1e9 RDMA
        CHECK(g.fragmentation_fraction == 0.15);                // GMLake's average
    }
    const GpuSpec none = load_gpu("H800", "", json{{"ep_buffer_bytes", 0}, {"fragmentation_fraction", 0}});
    CHECK(none.ep_buffer_bytes == 0);
    CHECK(none.fragmentation_fraction == 0);
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"fragmentation_fraction", 1}}); }).json_path() ==
          "/cluster/gpu_overrides/fragmentation_fraction");
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"runtime_reserve_bytes", -1}}); }).json_path() ==
          "/cluster/gpu_overrides/runtime_reserve_bytes");
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"hbm_bytes", 0}}); }).json_path() ==
          "/cluster/gpu_overrides/hbm_bytes");
}

TEST_CASE("memory_reserve: runtime, DeepEP buffers under EP, fragmentation of the transient pool", "[hw]") {
    const ReservePolicy policy{7e8, 3e9, 0.25};
    const MemoryReserve ep = memory_reserve(policy, 30e9, true);
    CHECK(ep.runtime_bytes == 7e8);
    CHECK(ep.ep_buffer_bytes == 3e9);
    CHECK(ep.fragmentation_bytes == Approx(10e9));  // 30 GB is 75% of a 40 GB pool
    CHECK(ep.total_bytes() == Approx(13.7e9));
    CHECK(memory_reserve(policy, 30e9, false).ep_buffer_bytes == 0);
    CHECK(memory_reserve(policy, 0, false).total_bytes() == 7e8);
    CHECK(memory_reserve({}, 30e9, true).total_bytes() == 0);
}

TEST_CASE("every built-in numeric field cites a source", "[hw]") {
    for (const auto& name : builtin_gpu_names()) {
        const GpuSpec g = load_gpu(name, "", json());
        const json j = to_json(g);
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() == "name" || it.key() == "sources") continue;
            INFO(name << " " << it.key());
            CHECK(g.sources.count(it.key()) == 1);
        }
    }
}

TEST_CASE("gpu overrides set fields by name", "[hw]") {
    const GpuSpec g = load_gpu("H800", "", json{{"nvlink_GBps", 160}, {"sm_count", 112}, {"name", "H800-cut"}});
    CHECK(g.nvlink_GBps == 160);
    CHECK(g.sm_count == 112);
    CHECK(g.name == "H800-cut");
    CHECK(g.fp8_dense_TFLOPS == 1979);
}

TEST_CASE("unknown override field names its path and suggests the field", "[hw]") {
    const auto e = scenario_error([] { load_gpu("H800", "", json{{"nvlink_GBs", 160}}); });
    CHECK(e.json_path() == "/cluster/gpu_overrides/nvlink_GBs");
    CHECK_THAT(e.message(), Catch::Contains("did you mean \"nvlink_GBps\""));
}

TEST_CASE("non-positive or mistyped overrides are errors", "[hw]") {
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"hbm_GBps", 0}}); }).json_path() ==
          "/cluster/gpu_overrides/hbm_GBps");
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"tdp_W", -700}}); }).json_path() == "/cluster/gpu_overrides/tdp_W");
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"tdp_W", "700"}}); }).json_path() == "/cluster/gpu_overrides/tdp_W");
    CHECK(scenario_error([] { load_gpu("H800", "", json{{"sm_count", 13.5}}); }).json_path() ==
          "/cluster/gpu_overrides/sm_count");
}

TEST_CASE("unknown GPU name suggests a built-in", "[hw]") {
    const auto e = scenario_error([] { load_gpu("H80", "", json()); });
    CHECK(e.json_path() == "/cluster/gpu");
    CHECK_THAT(e.message(), Catch::Contains("did you mean"));
}

TEST_CASE("GPU spec from a file, relative to the base directory", "[hw]") {
    json spec = to_json(load_gpu("H100", "", json()));
    spec["name"] = "H100-custom";
    spec["hbm_GBps"] = 3000;
    const std::string path = write_temp("h100_custom.json", spec.dump());
    const auto p = std::filesystem::path(path);
    const GpuSpec g = load_gpu(p.filename().string(), p.parent_path().string(), json());
    CHECK(g.name == "H100-custom");
    CHECK(g.hbm_GBps == 3000);
    CHECK(g.nvlink_GBps == 450);
    // Round trip through to_json keeps every field.
    CHECK(to_json(parse_gpu_spec(to_json(g), "x")) == to_json(g));
}

TEST_CASE("malformed GPU spec files name the file and the key", "[hw]") {
    json spec = to_json(load_gpu("H100", "", json()));
    spec["hbm_GBs"] = 3000;
    const std::string bad_key = write_temp("bad_key.json", spec.dump());
    auto e = scenario_error([&] { load_gpu(bad_key, "", json()); });
    CHECK(e.file() == bad_key);
    CHECK(e.json_path() == "/hbm_GBs");
    CHECK_THAT(e.message(), Catch::Contains("did you mean \"hbm_GBps\""));

    spec = to_json(load_gpu("H100", "", json()));
    spec.erase("fp8_dense_TFLOPS");
    const std::string missing = write_temp("missing.json", spec.dump());
    CHECK(scenario_error([&] { load_gpu(missing, "", json()); }).json_path() == "/fp8_dense_TFLOPS");

    CHECK(scenario_error([&] { load_gpu("/nonexistent/gpu.json", "", json()); }).json_path() == "/cluster/gpu");
    const std::string not_json = write_temp("not_json.json", "{ nope");
    CHECK(scenario_error([&] { load_gpu(not_json, "", json()); }).file() == not_json);
}
