#pragma once
// Shared by the scenario_*_test.cpp files: small valid documents, a way to edit them by
// JSON pointer, and a check that a document is rejected at a given path with a message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "json_edit.h"
#include "moesim/common/error.h"
#include "moesim/workload/scenario.h"

namespace scenario_test {

using nlohmann::json;

// 4 nodes x 8 GPUs, PP4 DualPipe over DP8, EP8: 64 / (8*1) = 8 = 2*pp micro-batches.
inline json training_doc() {
    return json::parse(R"({
      "schema": 1, "name": "t", "mode": "training", "model": "deepseek-v3",
      "cluster": { "gpu": "H800", "nodes": 4 },
      "parallelism": { "tp": 1, "pp": 4, "dp": 8, "ep": 8, "schedule": "dualpipe" },
      "training": { "global_batch_size": 64, "total_tokens": 1e9 }
    })");
}

// The V3 deployment of DESIGN.md §3 on 44 nodes.
inline json inference_doc() {
    return json::parse(R"({
      "schema": 1, "name": "i", "mode": "inference", "model": "deepseek-v3",
      "cluster": { "gpu": "H800", "nodes": 44 },
      "inference": {
        "prefill": { "nodes": 4, "attn_tp": 4, "ep": 32, "micro_batches": 2 },
        "decode": { "nodes": 40, "attn_tp": 4, "ep": 320, "mtp": { "draft_tokens": 1, "acceptance": 0.85 } }
      }
    })");
}

using json_edit::with;
using json_edit::without;

inline moesim::workload::Scenario parse(const json& doc) {
    return moesim::workload::parse_scenario(doc, "test.json");
}

// The error parse_scenario throws for `doc` (fails the test if it accepts it).
inline moesim::ScenarioError error_of(const json& doc) {
    return json_edit::rejection([](const json& d) { parse(d); }, doc);
}

// `doc` is rejected at `path` with a message containing each of `parts`.
inline void require_rejected(const json& doc, const std::string& path, std::initializer_list<std::string> parts) {
    const auto e = error_of(doc);
    INFO("error: " << e.what());
    CHECK(e.file() == "test.json");
    CHECK(e.json_path() == path);
    for (const auto& part : parts) CHECK_THAT(e.message(), Catch::Contains(part));
}

// A file in the temporary directory, removed at the end of the scope.
class TempFile {
public:
    TempFile(const std::string& name, const std::string& content)
        : path_(std::filesystem::temp_directory_path() / ("moesim-scenario-test-" + name)) {
        std::ofstream(path_) << content;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

inline std::string bundled(const std::string& name) {
    return std::string(MOESIM_SOURCE_DIR) + "/scenarios/" + name;
}

}  // namespace scenario_test
