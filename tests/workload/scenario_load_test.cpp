// load_scenario(): files, JSON syntax errors, --set overrides, to_json round trips and the
// bundled reference scenarios.
#include "scenario_test_helpers.h"

using namespace scenario_test;
using namespace moesim::workload;

namespace {

moesim::ScenarioError load_error(const std::string& file, const std::vector<std::string>& overrides = {}) {
    try {
        load_scenario(file, overrides);
    } catch (const moesim::ScenarioError& e) {
        return e;
    }
    FAIL("accepted " << file);
    throw std::logic_error("unreachable");
}

const std::vector<std::string> kBundled{"deepseek-v3-pretrain.json", "llama-3.1-405b-pretrain.json",
                                        "mixtral-8x7b-pretrain.json", "deepseek-v3-serve.json"};

}  // namespace

TEST_CASE("a missing or unreadable file is named in the error", "[workload]") {
    const auto e = load_error("/nonexistent/dir/scenario.json");
    CHECK(e.file() == "/nonexistent/dir/scenario.json");
    CHECK_THAT(e.message(), Catch::Contains("cannot read the scenario file"));
    const auto dir = load_error(std::filesystem::temp_directory_path().string());
    CHECK_THAT(dir.message(), Catch::Contains("directory"));
}

TEST_CASE("malformed JSON is reported with its line and column", "[workload]") {
    // Line 3 is `  "name": "x",,`: the second comma is the 15th byte of the line.
    const TempFile f("syntax.json", "{\n  \"schema\": 1,\n  \"name\": \"x\",,\n  \"mode\": \"training\"\n}\n");
    const auto e = load_error(f.path());
    CHECK(e.file() == f.path());
    CHECK(e.json_path().empty());
    CHECK_THAT(e.message(), Catch::StartsWith("line 3, column 15: malformed JSON"));

    const TempFile first("syntax-first.json", "nope");
    CHECK_THAT(load_error(first.path()).message(), Catch::StartsWith("line 1, column "));
    const TempFile empty("empty.json", "");
    CHECK_THAT(load_error(empty.path()).message(), Catch::Contains("line 1, column 1"));
}

TEST_CASE("comments are not JSON", "[workload]") {
    const TempFile f("comment.json", "{\n  \"schema\": 1, // the version\n}\n");
    const auto e = load_error(f.path());
    CHECK_THAT(e.message(), Catch::StartsWith("line 2, column 16"));
    CHECK_THAT(e.message(), Catch::Contains("comments are not allowed"));
}

TEST_CASE("a key given twice in one object is an error", "[workload]") {
    const TempFile f("duplicate.json", R"({"schema": 1, "cluster": {"gpu": "H800", "nodes": 4, "nodes": 8}})");
    const auto e = load_error(f.path());
    CHECK(e.json_path() == "/cluster/nodes");
    CHECK_THAT(e.message(), Catch::Contains("appears more than once"));
    const TempFile arr("duplicate-array.json", R"({"a": [1, {"x": 1}, {"y": 1, "y": 2}]})");
    CHECK(load_error(arr.path()).json_path() == "/a/2/y");
}

TEST_CASE("numbers too large for a double are refused", "[workload]") {
    std::string text = with(training_doc(), "/cluster/gpu_hour_usd", 123456).dump();
    text.replace(text.find("123456"), 6, "1e999");
    const TempFile huge("huge.json", text);
    try {
        load_scenario(huge.path());
        FAIL("1e999 accepted");
    } catch (const moesim::ScenarioError& e) {
        INFO(e.what());
        CHECK_THAT(e.message(), Catch::Contains("1e999"));
    }
}

TEST_CASE("overrides (--set) change values by JSON pointer", "[workload]") {
    const std::string v3 = bundled("deepseek-v3-pretrain.json");
    const Scenario s = load_scenario(v3, {"/training/steps=5", "/cluster/gpu=H100", "/parallelism/comm_sms=24",
                                          "/training/moe/expert_load={\"kind\": \"zipf\", \"alpha\": 1.1}",
                                          "/parallelism/stage_layers=[4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,1]"});
    CHECK(s.training.steps == 5);
    CHECK(s.cluster.gpu == "H100");  // not JSON: taken as a string
    CHECK(s.parallelism.comm_sms == 24);
    CHECK(s.training.moe.expert_load.kind == ExpertLoadKind::Zipf);
    CHECK(s.parallelism.stage_layers->back() == 1);
    // Applied in order; array elements by index; a key absent from the file is added.
    const Scenario t = load_scenario(v3, {"/parallelism/stage_layers=[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]",
                                          "/parallelism/stage_layers/3=7", "/cluster/calibration=cal.json"});
    CHECK((*t.parallelism.stage_layers)[3] == 7);
    CHECK(t.cluster.calibration == "cal.json");
    // The override's value is validated like the file's.
    const auto e = load_error(v3, {"/parallelism/pp=8"});
    CHECK(e.json_path() == "/parallelism");
    CHECK_THAT(e.message(), Catch::Contains("1*8*128 = 1024"));
    CHECK(load_error(v3, {"/cluster/nodes=\"8\""}).message() == "expected an integer, got string \"8\"");
}

TEST_CASE("an override (--set) with a bad pointer names it", "[workload]") {
    const std::string v3 = bundled("deepseek-v3-pretrain.json");
    auto e = load_error(v3, {"/parallelism/foo/bar=1"});
    CHECK(e.json_path() == "/parallelism/foo/bar");
    CHECK_THAT(e.message(), Catch::Contains("the parent /parallelism/foo does not exist"));
    e = load_error(v3, {"/parallelism/pp/x=1"});
    CHECK(e.json_path() == "/parallelism/pp/x");
    CHECK_THAT(e.message(), Catch::Contains("/parallelism/pp is number 16, not an object or an array"));
    e = load_error(v3, {"/parallelism/ppp=8"});  // added, then refused as unknown
    CHECK(e.json_path() == "/parallelism/ppp");
    CHECK_THAT(e.message(), Catch::Contains("did you mean \"pp\"?"));
    e = load_error(v3, {"/parallelism/stage_layers/0=1"});  // stage_layers is null in the file
    CHECK_THAT(e.message(), Catch::Contains("null, not an object or an array"));
    e = load_error(v3, {"parallelism/pp=8"});
    CHECK_THAT(e.message(), Catch::Contains("expected /json/pointer=value"));
    e = load_error(v3, {"/parallelism/pp"});
    CHECK_THAT(e.message(), Catch::Contains("expected /json/pointer=value"));
    e = load_error(bundled("llama-3.1-405b-pretrain.json"), {"/parallelism/stage_layers/40=1"});
    CHECK(e.json_path() == "/parallelism/stage_layers/40");
    CHECK_THAT(e.message(), Catch::Contains("has 32 elements"));
}

TEST_CASE("every bundled scenario loads", "[workload]") {
    for (const auto& name : kBundled) {
        SECTION(name) {
            const Scenario s = load_scenario(bundled(name));
            CHECK(s.name + ".json" == name);
            CHECK(s.source_file == bundled(name));
            CHECK(s.source_dir == std::string(MOESIM_SOURCE_DIR) + "/scenarios");
        }
    }
}

TEST_CASE("the DeepSeek-V3 pre-training scenario is the published setup", "[workload]") {
    const Scenario s = load_scenario(bundled("deepseek-v3-pretrain.json"));
    CHECK(s.cluster.gpu == "H800");
    CHECK(s.cluster.gpus() == 2048);
    CHECK(s.cluster.network.nics_per_node == 8);
    CHECK(s.cluster.network.nic_Gbps == 400);
    CHECK(s.parallelism.tp == 1);
    CHECK(s.parallelism.pp == 16);
    CHECK(s.parallelism.dp == 128);
    CHECK(s.parallelism.ep == 64);
    CHECK(s.parallelism.schedule == Schedule::DualPipe);
    CHECK(s.parallelism.comm_sms == 20);
    CHECK(s.parallelism.zero_stage == 1);
    CHECK(s.parallelism.recompute == Recompute::Selective);
    CHECK(s.training.global_batch_size == 15360);
    CHECK(s.training.total_tokens == 14.8e12);
    CHECK(s.training.precision == Precision::FP8);
    CHECK(s.training.moe.max_nodes_per_token == 4);
    CHECK(s.micro_batches() == 120);
    CHECK(s.cluster.calibration == "calibrations/h800-published.json");  // PUBLISHED.md E measurements
    CHECK(s.cluster.gpu_hour_usd == 2.0);
}

TEST_CASE("to_json writes every effective value and round-trips", "[workload]") {
    const Scenario minimal = parse(training_doc());
    const json j = to_json(minimal);
    CHECK(j.at("parallelism").at("comm_sms") == 0);
    CHECK(j.at("parallelism").at("stage_layers").is_null());
    CHECK(j.at("cluster").at("calibration").is_null());
    CHECK(j.at("cluster").at("network").at("topology") == "rail-optimized");
    CHECK(j.at("training").at("moe").at("expert_load") == json{{"kind", "uniform"}});
    CHECK_FALSE(j.contains("inference"));
    CHECK(j.at("seed") == 1);

    std::vector<json> docs{
        training_doc(),
        inference_doc(),
        with(training_doc(), "/training/moe", {{"expert_load", {{"kind", "zipf"}, {"alpha", 1.3}}}}),
        with(training_doc(), "/training/moe", {{"expert_load", {{"kind", "trace"}, {"file", "l.csv"}}}}),
        with(with(training_doc(), "/cluster/gpu_overrides", {{"hbm_GB", 96.5}}), "/cluster/calibration", "c.json"),
        with(inference_doc(), "/inference/traffic",
             {{"input_tokens", {{"dist", "uniform"}, {"min", 10}, {"max", 20}}},
              {"output_tokens", {{"dist", "fixed"}, {"mean", 7}}}}),
        with(inference_doc(), "/inference/traffic", {{"arrival", "trace"}, {"trace_file", "r.csv"}}),
    };
    auto both = training_doc();  // 4 nodes: room for 1 prefill + 2 decode nodes
    both["inference"] = {{"prefill", {{"nodes", 1}}}, {"decode", {{"nodes", 2}, {"ep", 16}}}};
    docs.push_back(both);
    for (const auto& name : kBundled) docs.push_back(to_json(load_scenario(bundled(name))));

    for (const auto& doc : docs) {
        const Scenario s = parse(doc);
        const json out = to_json(s);
        INFO(out.dump(2));
        const Scenario again = parse(out);
        CHECK(again == s);
        CHECK(to_json(again) == out);
    }
    // The bundled files through a file round trip, source fields included.
    for (const auto& name : kBundled) {
        const Scenario s = load_scenario(bundled(name));
        CHECK(parse_scenario(to_json(s), s.source_file) == s);
    }
}
