#pragma once
// Shared by the tests/training/*_test.cpp files: small training scenarios built in code,
// editing them by JSON pointer, resolving and simulating them, and reading the result.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "json_edit.h"
#include "moesim/common/error.h"
#include "moesim/training/analytic.h"
#include "moesim/training/setup.h"
#include "moesim/training/simulate.h"
#include "moesim/workload/scenario.h"

namespace training_test {

using nlohmann::json;
using moesim::training::StageCosts;
using moesim::training::TrainingResult;
using moesim::training::TrainingSetup;

// Llama 3.1 8B (32 layers, 32 heads) on 2 nodes x 8 H100: tp 1, pp 4, dp 4, 1F1B, 8 layers
// per stage, BF16. 64 sequences / (dp 4 x micro-batch 1) = 16 micro-batches per pipeline.
inline json dense_doc() {
    return json::parse(R"({
      "schema": 1, "name": "dense", "mode": "training", "model": "llama-3.1-8b",
      "cluster": { "gpu": "H100", "nodes": 2, "gpus_per_node": 8, "gpu_hour_usd": 2.5 },
      "parallelism": { "tp": 1, "pp": 4, "dp": 4, "ep": 1, "schedule": "1f1b",
                       "stage_layers": [8, 8, 8, 8], "micro_batch_size": 1, "recompute": "none" },
      "training": { "seq_len": 4096, "global_batch_size": 64, "total_tokens": 1e12, "precision": "bf16" }
    })");
}

inline const std::string kV3 = "deepseek-v3-pretrain.json";
inline const std::string kMixtral = "mixtral-8x7b-pretrain.json";

// A bundled scenario file as JSON, e.g. kV3.
inline std::string bundled_path(const std::string& name) {
    return std::string(MOESIM_SOURCE_DIR) + "/scenarios/" + name;
}
inline json bundled_doc(const std::string& name) {
    std::ifstream in(bundled_path(name));
    if (!in) throw std::runtime_error("cannot read " + bundled_path(name));
    return json::parse(in);
}

using json_edit::with;

// Code-built scenarios are "test.json"; edited bundled ones pass their own file, so that
// their relative paths (the calibration profile) resolve against it.
inline moesim::workload::Scenario parse(const json& doc, const std::string& file = "test.json") {
    return moesim::workload::parse_scenario(doc, file);
}

inline std::unique_ptr<TrainingSetup> prepare(const json& doc, bool allow_oversubscribed_memory = false,
                                              const std::string& file = "test.json") {
    return moesim::training::prepare_training(parse(doc, file), allow_oversubscribed_memory);
}

// A bundled scenario as it is, e.g. kMixtral.
inline std::unique_ptr<TrainingSetup> prepare_bundled(const std::string& name) {
    return prepare(bundled_doc(name), false, bundled_path(name));
}

// The step at each fidelity (simulate_training): its result, or the whole run.
inline TrainingResult analytic_step(const TrainingSetup& st) {
    return moesim::training::simulate_training(st, moesim::training::Fidelity::Analytic).result;
}
inline moesim::training::TrainingRun event_run(const TrainingSetup& st, const moesim::training::StepOptions& o = {}) {
    return moesim::training::simulate_training(st, moesim::training::Fidelity::Event, o);
}
inline TrainingResult event_step(const TrainingSetup& st) { return event_run(st).result; }
inline moesim::training::TrainingRun full_run(const TrainingSetup& st, const moesim::training::StepOptions& o = {}) {
    return moesim::training::simulate_training(st, moesim::training::Fidelity::Full, o);
}
inline TrainingResult full_step(const TrainingSetup& st) { return full_run(st).result; }

inline TrainingResult estimate(const json& doc, bool allow_oversubscribed_memory = false,
                               const std::string& file = "test.json") {
    return analytic_step(*prepare(doc, allow_oversubscribed_memory, file));
}

// Seconds of the breakdown entry (phase, category); 0 when absent (entries of 0 s are left out).
inline double breakdown_s(const TrainingResult& r, const std::string& phase, const std::string& category) {
    double s = 0;
    int found = 0;
    for (const auto& e : r.breakdown)
        if (e.phase == phase && e.category == category) {
            s += e.seconds;
            ++found;
        }
    CHECK(found <= 1);
    return s;
}

// A small V3 layout: 4 nodes, pp 4, dp 8, ep 8 (one EP group of 8 per pipeline rank),
// gbs / 8 micro-batches per pipeline. It does not fit in memory: setup_of() simulates it anyway.
inline json small_v3(moesim::workload::Schedule schedule, int gbs = 64) {
    json doc = bundled_doc(kV3);
    doc = with(doc, "/cluster/nodes", 4);
    doc = with(doc, "/parallelism/pp", 4);
    doc = with(doc, "/parallelism/dp", 8);
    doc = with(doc, "/parallelism/ep", 8);
    doc = with(doc, "/parallelism/schedule", to_string(schedule));
    doc = with(doc, "/training/global_batch_size", gbs);
    return doc;
}

// An edited V3 scenario, resolved even when it does not fit in memory.
inline std::unique_ptr<TrainingSetup> setup_of(const json& doc) { return prepare(doc, true, bundled_path(kV3)); }

// The error prepare_training throws for `doc` (fails the test if it accepts it).
inline moesim::ScenarioError prepare_error(const json& doc) {
    return json_edit::rejection([](const json& d) { prepare(d); }, doc);
}

}  // namespace training_test
