// Scenario schema 1: keys, types, ranges, enums and required sections (DESIGN.md §3).
#include <cmath>
#include <limits>

#include "scenario_test_helpers.h"

using namespace scenario_test;
using namespace moesim::workload;

TEST_CASE("a minimal training scenario gets the documented defaults", "[workload]") {
    const Scenario s = parse(training_doc());
    CHECK(s.schema == 1);
    CHECK(s.name == "t");
    CHECK(s.mode == Mode::Training);
    CHECK(s.model == "deepseek-v3");
    CHECK(s.cluster.gpu == "H800");
    CHECK(s.cluster.gpus_per_node == 8);
    CHECK(s.cluster.gpus() == 32);
    CHECK(s.cluster.network.topology == Topology::RailOptimized);
    CHECK(s.cluster.network.nics_per_node == 8);
    CHECK(s.cluster.network.nic_Gbps == 400.0);
    CHECK(s.cluster.network.oversubscription == 1.0);
    CHECK(s.cluster.gpu_overrides == json::object());
    CHECK(s.cluster.calibration.empty());
    CHECK(s.cluster.gpu_hour_usd == 2.0);
    CHECK(s.parallelism.zero_stage == 1);
    CHECK(s.parallelism.virtual_stages == 1);
    CHECK_FALSE(s.parallelism.stage_layers.has_value());
    CHECK(s.parallelism.micro_batch_size == 1);
    CHECK(s.parallelism.comm_sms == 0);
    CHECK(s.parallelism.recompute == Recompute::None);
    CHECK(s.training.seq_len == 4096);
    CHECK(s.training.precision == Precision::BF16);
    CHECK(s.training.steps == 2);
    CHECK(s.training.moe.max_nodes_per_token == 0);
    CHECK(s.training.moe.expert_load.kind == ExpertLoadKind::Uniform);
    CHECK(s.micro_batches() == 8);
    CHECK(s.seed == 1);
    CHECK(s.source_file == "test.json");
    CHECK(s.source_dir == ".");
}

TEST_CASE("parallelism defaults to all 1 when absent", "[workload]") {
    auto doc = without(training_doc(), "/parallelism");
    doc = with(doc, "/cluster/nodes", 1);
    doc = with(doc, "/cluster/gpus_per_node", 1);
    const Scenario s = parse(doc);
    CHECK(s.parallelism.tp == 1);
    CHECK(s.parallelism.pp == 1);
    CHECK(s.parallelism.dp == 1);
    CHECK(s.parallelism.ep == 1);
    CHECK(s.parallelism.schedule == Schedule::OneFOneB);
}

TEST_CASE("unknown keys are rejected with a did-you-mean", "[workload]") {
    require_rejected(with(training_doc(), "/parallelizm", json::object()), "/parallelizm",
                     {"unknown key \"parallelizm\"", "did you mean \"parallelism\"?"});
    require_rejected(with(training_doc(), "/cluster/network", {{"nic_gbps", 400}}), "/cluster/network/nic_gbps",
                     {"did you mean \"nic_Gbps\"?"});
    require_rejected(with(training_doc(), "/training/seq_length", 4096), "/training/seq_length",
                     {"did you mean \"seq_len\"?"});
    // Nothing close: no suggestion, but the known keys are listed.
    const auto e = error_of(with(training_doc(), "/cluster/colour", "blue"));
    CHECK(e.json_path() == "/cluster/colour");
    CHECK_THAT(e.message(), !Catch::Contains("did you mean"));
    CHECK_THAT(e.message(), Catch::Contains("gpus_per_node"));
    // A key of a nested object, and one that needs pointer escaping.
    require_rejected(with(training_doc(), "/training/moe", {{"expert_loads", {{"kind", "uniform"}}}}),
                     "/training/moe/expert_loads", {"did you mean \"expert_load\"?"});
    require_rejected(with(training_doc(), "/cluster/a~1b", 1), "/cluster/a~1b", {"unknown key \"a/b\""});
}

TEST_CASE("wrong types name the path, the expected type and the value", "[workload]") {
    auto e = error_of(with(training_doc(), "/cluster/nodes", "8"));
    CHECK(e.json_path() == "/cluster/nodes");
    CHECK(e.message() == "expected an integer, got string \"8\"");
    CHECK(std::string(e.what()) == "test.json: /cluster/nodes: expected an integer, got string \"8\"");

    require_rejected(with(training_doc(), "/parallelism/tp", 2.5), "/parallelism/tp",
                     {"expected an integer, got number 2.5"});
    require_rejected(with(training_doc(), "/parallelism/pp", true), "/parallelism/pp",
                     {"expected an integer, got boolean true"});
    require_rejected(with(training_doc(), "/name", 5), "/name", {"expected a string, got number 5"});
    require_rejected(with(training_doc(), "/cluster/network", {{"nic_Gbps", "fast"}}), "/cluster/network/nic_Gbps",
                     {"expected a number, got string \"fast\""});
    require_rejected(with(training_doc(), "/cluster", json::array()), "/cluster", {"expected an object, got an array"});
    require_rejected(with(training_doc(), "/parallelism/schedule", 3), "/parallelism/schedule",
                     {"expected a string, got number 3"});
    require_rejected(with(training_doc(), "/training/total_tokens", nullptr), "/training/total_tokens",
                     {"expected a number, got null"});
    require_rejected(json::array(), "", {"must be a JSON object"});
}

TEST_CASE("integral floats count as integers", "[workload]") {
    const Scenario s = parse(with(training_doc(), "/training/global_batch_size", 6.4e1));
    CHECK(s.training.global_batch_size == 64);
}

TEST_CASE("sizes must be positive", "[workload]") {
    for (const char* pointer :
         {"/cluster/nodes", "/cluster/gpus_per_node", "/parallelism/tp", "/parallelism/pp", "/parallelism/dp",
          "/parallelism/ep", "/parallelism/micro_batch_size", "/parallelism/virtual_stages", "/training/seq_len",
          "/training/global_batch_size", "/training/steps"}) {
        SECTION(pointer) {
            require_rejected(with(training_doc(), pointer, 0), pointer, {"must be a positive integer, got 0"});
            require_rejected(with(training_doc(), pointer, -8), pointer, {"must be a positive integer, got -8"});
        }
    }
    require_rejected(with(training_doc(), "/cluster/network", {{"nics_per_node", 0}}), "/cluster/network/nics_per_node",
                     {"must be a positive integer, got 0"});
    require_rejected(with(training_doc(), "/cluster/nodes", 5000000000LL), "/cluster/nodes",
                     {"must be at most", "5000000000"});
}

TEST_CASE("counts where 0 is meaningful must be non-negative", "[workload]") {
    for (const char* pointer :
         {"/parallelism/comm_sms", "/training/moe/max_nodes_per_token", "/training/moe/redundant_experts"}) {
        SECTION(pointer) {
            auto doc = with(training_doc(), "/training/moe", json::object());
            CHECK_NOTHROW(parse(with(doc, pointer, 0)));
            require_rejected(with(doc, pointer, -1), pointer, {"must be a non-negative integer, got -1"});
        }
    }
    for (const char* pointer : {"/inference/prefill/redundant_experts", "/inference/decode/redundant_experts"}) {
        SECTION(pointer) {
            CHECK(parse(inference_doc()).inference.prefill.redundant_experts == 0);  // the default
            const auto s = parse(with(inference_doc(), pointer, 32));
            CHECK((std::string(pointer).find("prefill") != std::string::npos ? s.inference.prefill.redundant_experts
                                                                              : s.inference.decode.redundant_experts) == 32);
            require_rejected(with(inference_doc(), pointer, -1), pointer, {"must be a non-negative integer, got -1"});
        }
    }
}

TEST_CASE("real-valued keys are range-checked and finite", "[workload]") {
    require_rejected(with(training_doc(), "/cluster/network", {{"nic_Gbps", 0}}), "/cluster/network/nic_Gbps",
                     {"must be > 0, got 0"});
    require_rejected(with(training_doc(), "/cluster/network", {{"oversubscription", 0.5}}),
                     "/cluster/network/oversubscription", {"must be >= 1, got 0.5"});
    require_rejected(with(training_doc(), "/cluster/gpu_hour_usd", -1.5), "/cluster/gpu_hour_usd",
                     {"must be >= 0, got -1.5"});
    CHECK(parse(with(training_doc(), "/cluster/gpu_hour_usd", 0)).cluster.gpu_hour_usd == 0);
    require_rejected(with(training_doc(), "/training/total_tokens", 0), "/training/total_tokens",
                     {"must be > 0, got 0"});
    require_rejected(with(training_doc(), "/training/total_tokens", std::nan("")), "/training/total_tokens",
                     {"must be a finite number, got nan"});
    require_rejected(with(training_doc(), "/cluster/gpu_hour_usd", std::numeric_limits<double>::infinity()),
                     "/cluster/gpu_hour_usd", {"must be a finite number, got inf"});
    require_rejected(with(training_doc(), "/parallelism/zero_stage", 4), "/parallelism/zero_stage",
                     {"must be between 0 and 3, got 4"});
}

TEST_CASE("enum values are checked and the valid ones listed", "[workload]") {
    require_rejected(with(training_doc(), "/parallelism/schedule", "dualpipee"), "/parallelism/schedule",
                     {"unknown value \"dualpipee\"", "did you mean \"dualpipe\"?",
                      "\"gpipe\", \"1f1b\", \"interleaved-1f1b\", \"zb1p\", \"dualpipe\", \"dualpipev\""});
    require_rejected(with(training_doc(), "/mode", "serve"), "/mode",
                     {"unknown value \"serve\"", "\"training\", \"inference\""});
    require_rejected(with(training_doc(), "/training/precision", "FP8"), "/training/precision",
                     {"did you mean \"fp8\"?"});
    require_rejected(with(training_doc(), "/cluster/network", {{"topology", "torus"}}), "/cluster/network/topology",
                     {"\"rail-optimized\", \"fat-tree\", \"single-switch\""});
    require_rejected(with(training_doc(), "/parallelism/recompute", "partial"), "/parallelism/recompute",
                     {"\"none\", \"selective\", \"full\""});
}

TEST_CASE("schema must be 1", "[workload]") {
    // Reported before the unknown keys a newer schema may bring.
    auto newer = with(with(training_doc(), "/schema", 2), "/future_section", json::object());
    require_rejected(newer, "/schema", {"written for a newer moesim", "schema 2"});
    require_rejected(with(training_doc(), "/schema", 0), "/schema", {"unknown schema 0"});
    require_rejected(with(training_doc(), "/schema", "1"), "/schema", {"expected an integer, got string \"1\""});
    require_rejected(without(training_doc(), "/schema"), "/schema", {"missing required key \"schema\""});
}

TEST_CASE("required keys", "[workload]") {
    for (const char* pointer : {"/name", "/mode", "/model", "/cluster", "/cluster/gpu", "/cluster/nodes",
                                "/training/global_batch_size", "/training/total_tokens"}) {
        SECTION(pointer) {
            require_rejected(without(training_doc(), pointer), pointer, {"missing required key"});
        }
    }
    require_rejected(without(training_doc(), "/training"), "/training",
                     {"missing section \"training\"", "mode is \"training\""});
    require_rejected(without(inference_doc(), "/inference"), "/inference",
                     {"missing section \"inference\"", "mode is \"inference\""});
    require_rejected(with(training_doc(), "/name", ""), "/name", {"must not be empty"});
    require_rejected(with(training_doc(), "/cluster/gpu", ""), "/cluster/gpu", {"must not be empty"});
}

TEST_CASE("model and GPU names are not resolved by the parser", "[workload]") {
    const Scenario s = parse(with(with(training_doc(), "/model", "no-such-model"), "/cluster/gpu", "specs/b200.json"));
    CHECK(s.model == "no-such-model");
    CHECK(s.cluster.gpu == "specs/b200.json");
}

TEST_CASE("seed is a non-negative integer", "[workload]") {
    CHECK(parse(with(training_doc(), "/seed", 0)).seed == 0);
    CHECK(parse(with(training_doc(), "/seed", std::numeric_limits<std::uint64_t>::max())).seed ==
          std::numeric_limits<std::uint64_t>::max());
    require_rejected(with(training_doc(), "/seed", -1), "/seed", {"must be a non-negative integer, got -1"});
    require_rejected(with(training_doc(), "/seed", 1.5), "/seed", {"expected an integer, got number 1.5"});
}

TEST_CASE("expert_load takes only the keys of its kind", "[workload]") {
    const auto load = [](const json& v) { return with(training_doc(), "/training/moe", {{"expert_load", v}}); };
    const Scenario zipf = parse(load({{"kind", "zipf"}, {"alpha", 1.2}}));
    CHECK(zipf.training.moe.expert_load.kind == ExpertLoadKind::Zipf);
    CHECK(zipf.training.moe.expert_load.alpha == 1.2);
    const Scenario dirichlet = parse(load({{"kind", "dirichlet"}, {"concentration", 0.5}}));
    CHECK(dirichlet.training.moe.expert_load.concentration == 0.5);
    CHECK(parse(load({{"kind", "trace"}, {"file", "load.csv"}})).training.moe.expert_load.file == "load.csv");

    require_rejected(load({{"kind", "uniform"}, {"alpha", 1.2}}), "/training/moe/expert_load/alpha",
                     {"only used with kind \"zipf\"", "not \"uniform\""});
    require_rejected(load({{"kind", "zipf"}, {"file", "x.csv"}}), "/training/moe/expert_load/file", {"kind \"trace\""});
    require_rejected(load({{"kind", "trace"}}), "/training/moe/expert_load/file", {"missing required key"});
    require_rejected(load({{"alpha", 1.2}}), "/training/moe/expert_load/kind", {"missing required key"});
    require_rejected(load({{"kind", "zipf"}, {"alpha", 0}}), "/training/moe/expert_load/alpha", {"must be > 0"});
    require_rejected(load({{"kind", "zipff"}}), "/training/moe/expert_load/kind", {"did you mean \"zipf\"?"});
    require_rejected(load("uniform"), "/training/moe/expert_load", {"expected an object, got string \"uniform\""});
}

TEST_CASE("stage_layers: null, or one positive count per stage", "[workload]") {
    CHECK_FALSE(parse(with(training_doc(), "/parallelism/stage_layers", nullptr)).parallelism.stage_layers);
    const Scenario s = parse(with(training_doc(), "/parallelism/stage_layers", {15, 16, 16, 14}));
    CHECK(s.parallelism.stage_layers == std::vector<int>{15, 16, 16, 14});
    require_rejected(with(training_doc(), "/parallelism/stage_layers", {16, 16, 16}), "/parallelism/stage_layers",
                     {"has 3 entries", "pp*virtual_stages = 4*1 = 4"});
    require_rejected(with(training_doc(), "/parallelism/stage_layers", {16, 16, 0, 16}), "/parallelism/stage_layers/2",
                     {"must be a positive integer, got 0"});
    require_rejected(with(training_doc(), "/parallelism/stage_layers", "even"), "/parallelism/stage_layers",
                     {"expected an array of layer counts or null"});
}

TEST_CASE("virtual stages belong to the interleaved schedule", "[workload]") {
    require_rejected(with(training_doc(), "/parallelism/virtual_stages", 2), "/parallelism/virtual_stages",
                     {"2 virtual stages need schedule \"interleaved-1f1b\"", "\"dualpipe\""});
    auto interleaved = with(training_doc(), "/parallelism/schedule", "interleaved-1f1b");
    require_rejected(interleaved, "/parallelism/virtual_stages", {"at least 2 virtual stages"});
    interleaved = with(interleaved, "/parallelism/virtual_stages", 2);
    interleaved = with(interleaved, "/parallelism/stage_layers", {7, 8, 8, 8, 8, 8, 8, 6});
    const Scenario s = parse(interleaved);
    CHECK(s.parallelism.schedule == Schedule::Interleaved1F1B);
    CHECK(s.parallelism.virtual_stages == 2);
    require_rejected(with(interleaved, "/parallelism/stage_layers", {8, 8, 8, 8}), "/parallelism/stage_layers",
                     {"pp*virtual_stages = 4*2 = 8"});
}

TEST_CASE("gpu_overrides is an object of numbers", "[workload]") {
    const Scenario s = parse(with(training_doc(), "/cluster/gpu_overrides", {{"nvlink_GBps", 160}}));
    CHECK(s.cluster.gpu_overrides == json{{"nvlink_GBps", 160}});
    require_rejected(with(training_doc(), "/cluster/gpu_overrides", {{"nvlink_GBps", "160"}}),
                     "/cluster/gpu_overrides/nvlink_GBps", {"expected a number, got string \"160\""});
    require_rejected(with(training_doc(), "/cluster/gpu_overrides", json::array({160})), "/cluster/gpu_overrides",
                     {"expected an object of numbers"});
}

TEST_CASE("calibration: a non-empty path, or null for the bundled profile", "[workload]") {
    CHECK(parse(with(training_doc(), "/cluster/calibration", "cal/h800.json")).cluster.calibration == "cal/h800.json");
    CHECK(parse(with(training_doc(), "/cluster/calibration", nullptr)).cluster.calibration.empty());
    require_rejected(with(training_doc(), "/cluster/calibration", ""), "/cluster/calibration", {"must not be empty"});
    require_rejected(with(training_doc(), "/cluster/calibration", 3), "/cluster/calibration",
                     {"expected a string or null"});
}

TEST_CASE("enum names round-trip through to_string", "[workload]") {
    CHECK(to_string(Mode::Inference) == "inference");
    CHECK(to_string(Topology::RailOptimized) == "rail-optimized");
    CHECK(to_string(Schedule::Interleaved1F1B) == "interleaved-1f1b");
    CHECK(to_string(Schedule::DualPipeV) == "dualpipev");
    CHECK(to_string(Schedule::ZB1P) == "zb1p");
    CHECK(to_string(Recompute::Selective) == "selective");
    CHECK(to_string(Precision::FP8) == "fp8");
    CHECK(to_string(ExpertLoadKind::Dirichlet) == "dirichlet");
    CHECK(to_string(Deployment::Colocated) == "colocated");
    CHECK(to_string(Arrival::Trace) == "trace");
    CHECK(to_string(LengthDist::Lognormal) == "lognormal");
    CHECK(to_string(Schedule::Invalid) == "invalid");
}
