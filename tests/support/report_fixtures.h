#pragma once
// Shared by the report tests: a unique temporary directory, and results with a distinct
// value in every field so that a column written to the wrong place shows.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "moesim/common/error.h"
#include "moesim/reports/run_record.h"

namespace moesim::report::test {

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "moesim-report-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// The message of the DatabaseError that `action` throws; fails the test if it throws none.
// (Catch's CHECK_THROWS_MATCHES would match the exception object, not its message.)
template <class Action>
std::string database_error(Action&& action) {
    try {
        action();
    } catch (const DatabaseError& error) {
        return error.what();
    }
    FAIL("no DatabaseError was thrown");
    return {};
}

inline RunRecord sample_record(const std::string& name, const std::string& mode) {
    RunRecord record;
    record.name = name;
    record.mode = mode;
    record.model = "deepseek-v3";
    record.gpu = "H800";
    record.gpus = 2048;
    record.seed = 42;
    record.sim_wall_s = 1.25;
    record.scenario_json = R"({"schema": 1, "name": ")" + name + R"(", "mode": ")" + mode + R"("})";
    record.tool_version = "0.1.0";
    record.git_revision = "0123456789ab";
    return record;
}

inline training::TrainingResult sample_training() {
    training::TrainingResult r;
    r.fidelity = "analytic";
    r.step_time_s = 1.5;
    r.tokens_per_step = 62914560;
    r.tokens_per_s = 3.0e7;
    r.tokens_per_s_per_gpu = 14648.4375;
    r.model_flops_per_token = 2.5e11;
    r.mfu = 0.391;
    r.fp8_utilization = 0.1955;
    r.bubble_fraction = 0.07;
    r.exposed_comm = {0.011, 0.022, 0.033, 0.044};
    r.peak_memory_GB = 61.5;
    r.gpu_hours = 2664000;
    r.cost_usd = 5328000;
    r.usd_per_million_tokens = 0.36;
    r.wall_days = 54.2;
    r.memory_headroom_GB = 18.5;
    r.over_memory = false;
    r.breakdown = {{"forward", "attention", 0.2}, {"backward", "ep_all_to_all", 0.05}, {"idle", "bubble", 0.1}};
    r.assumptions = {"uniform expert load", "no stragglers"};
    return r;
}

inline inference::InferenceResult sample_inference() {
    inference::InferenceResult r;
    r.fidelity = "event";
    r.prefill_input_tokens_per_s_per_node = 73700;
    r.decode_output_tokens_per_s_per_node = 14800;
    r.ttft_ms = {310.5, 820.25, 1930.125};
    r.tpot_ms = {20.5, 31.25, 47.125};
    r.requests_completed = 119873;
    r.kv_cache_utilization = 0.83;
    r.usd_per_million_input_tokens_cache_miss = 0.21;
    r.usd_per_million_input_tokens_cache_hit = 0.017;
    r.usd_per_million_output_tokens = 0.87;
    r.requests_per_s = 1800;
    r.requests_measured = 120000;
    r.requests_unfinished = 0;
    r.requests_rejected = 0;
    r.output_tokens_decoded = 41000000;
    r.decode_holds = 17;
    r.slo_met = true;
    r.slo_missed = "";
    r.assumptions = {"poisson arrivals"};
    return r;
}

}  // namespace moesim::report::test
