// `moesim run` refusing what is wrong (DESIGN.md §3, §6; scenarios/README.md): each case exits
// with status 2, names the file, the JSON path and what is wrong, and writes nothing — no
// database is created, and one that exists keeps its `runs` count.
#include <regex>

#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

TEST_CASE("run: malformed JSON is refused with its line and column", "[cli]") {
    TempDir tmp;
    SECTION("a stray comma") {
        const auto f = write_text(tmp, "comma.json", "{\n  \"schema\": 1,\n  \"name\": \"x\",,\n}\n");
        expect_rejected(tmp, {f}, {f + ": line 3, column 15: malformed JSON"});  // the second comma
    }
    SECTION("a file cut short") {
        const std::string whole = load_json(source_path(kV3Scenario)).dump(2);
        const auto f = write_text(tmp, "cut.json", whole.substr(0, whole.size() / 2));
        expect_rejected(tmp, {f}, {f + ": line ", ", column ", "malformed JSON"});
    }
    SECTION("an empty file") {
        const auto f = write_text(tmp, "empty.json", "");
        expect_rejected(tmp, {f}, {f + ": line 1, column 1: malformed JSON"});
    }
    SECTION("text after the object") {
        const auto f = write_text(tmp, "trailing.json", load_json(source_path(kV3Scenario)).dump() + " x\n");
        expect_rejected(tmp, {f}, {f + ": line 1, column ", "malformed JSON"});
    }
    SECTION("a key given twice") {
        const auto f = write_text(tmp, "twice.json", "{\"schema\": 1, \"schema\": 1}\n");
        expect_rejected(tmp, {f}, {at(f, "/schema"), "more than once"});
    }
}

TEST_CASE("run: an unknown key is refused with a did-you-mean", "[cli]") {
    TempDir tmp;
    SECTION("in /parallelism") {
        const auto f = scenario_variant(tmp, "ppp.json", kV3Scenario, [](json& j) { j["parallelism"]["ppp"] = 2; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/ppp"), "unknown key \"ppp\"", "did you mean \"pp\"?"});
    }
    SECTION("nested in /training/moe") {
        const auto f = scenario_variant(tmp, "moe.json", kV3Scenario, [](json& j) {
            j["training"]["moe"]["max_node_per_token"] = j["training"]["moe"]["max_nodes_per_token"];
            j["training"]["moe"].erase("max_nodes_per_token");
        });
        expect_rejected(tmp, {f}, {at(f, "/training/moe/max_node_per_token"), "did you mean \"max_nodes_per_token\"?"});
    }
    SECTION("a misspelt enum value") {
        const auto f = scenario_variant(tmp, "sched.json", kV3Scenario,
                                        [](json& j) { j["parallelism"]["schedule"] = "dualpipee"; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/schedule"), "\"dualpipee\"", "did you mean \"dualpipe\"?"});
    }
}

TEST_CASE("run: a value of the wrong type is refused", "[cli]") {
    TempDir tmp;
    SECTION("a string for an integer") {
        const auto f = scenario_variant(tmp, "str.json", kV3Scenario, [](json& j) { j["cluster"]["nodes"] = "256"; });
        expect_rejected(tmp, {f}, {at(f, "/cluster/nodes"), "expected an integer", "\"256\""});
    }
    SECTION("a fraction for an integer") {
        const auto f = scenario_variant(tmp, "frac.json", kV3Scenario, [](json& j) { j["parallelism"]["pp"] = 2.5; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/pp"), "expected an integer", "2.5"});
    }
    SECTION("a number for a string") {
        const auto f = scenario_variant(tmp, "num.json", kV3Scenario, [](json& j) { j["cluster"]["gpu"] = 800; });
        expect_rejected(tmp, {f}, {at(f, "/cluster/gpu"), "expected a string", "800"});
    }
    SECTION("a schema from a newer moesim") {
        const auto f = scenario_variant(tmp, "schema.json", kV3Scenario, [](json& j) { j["schema"] = 2; });
        expect_rejected(tmp, {f}, {at(f, "/schema"), "schema 2"});
    }
}

TEST_CASE("run: zero or negative sizes are refused", "[cli]") {
    TempDir tmp;
    struct Case {
        const char* section;
        const char* pointer;
        json value;
        const char* says;
    };
    for (const Case& c : {Case{"nodes 0", "/cluster/nodes", 0, "got 0"},
                          Case{"gpus_per_node 0", "/cluster/gpus_per_node", 0, "got 0"},
                          Case{"seq_len -1", "/training/seq_len", -1, "got -1"},
                          Case{"micro_batch_size 0", "/parallelism/micro_batch_size", 0, "got 0"},
                          Case{"total_tokens -1", "/training/total_tokens", -1, "got -1"},
                          Case{"comm_sms -1", "/parallelism/comm_sms", -1, "got -1"}}) {
        DYNAMIC_SECTION(c.section) {
            const auto f = scenario_variant(tmp, "size.json", kV3Scenario,
                                            [&](json& j) { j[json::json_pointer(c.pointer)] = c.value; });
            expect_rejected(tmp, {f}, {at(f, c.pointer), "must be", c.says});
        }
    }
}

TEST_CASE("run: a layout that does not divide the cluster is refused", "[cli]") {
    TempDir tmp;
    SECTION("tp*pp*dp is not the number of GPUs") {
        const auto f = scenario_variant(tmp, "dp.json", kV3Scenario, [](json& j) { j["parallelism"]["dp"] = 64; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism"), "1*16*64 = 1024", "2048"});
    }
    SECTION("ep does not divide tp*dp") {
        const auto f = scenario_variant(tmp, "ep.json", kV3Scenario, [](json& j) { j["parallelism"]["ep"] = 48; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/ep"), "48 does not divide tp*dp = 128"});
    }
    SECTION("the batch does not split into whole micro-batches") {
        const auto f = scenario_variant(tmp, "gbs.json", kV3Scenario,
                                        [](json& j) { j["training"]["global_batch_size"] = 15361; });
        expect_rejected(tmp, {f}, {at(f, "/training/global_batch_size"), "15361", "dp*micro_batch_size"});
    }
    SECTION("DualPipe with an odd pp") {
        const auto f = scenario_variant(tmp, "odd.json", kV3Scenario, [](json& j) {
            j["cluster"]["nodes"] = 15;
            j["parallelism"]["pp"] = 15;
            j["parallelism"]["dp"] = 8;
            j["parallelism"]["ep"] = 8;
            j["training"]["global_batch_size"] = 240;
        });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/pp"), "dualpipe", "even pp", "15"});
    }
    SECTION("DualPipe with fewer than 2*pp micro-batches") {
        const auto f = scenario_variant(tmp, "few.json", kV3Scenario,
                                        [](json& j) { j["training"]["global_batch_size"] = 2048; });
        expect_rejected(tmp, {f}, {at(f, "/training/global_batch_size"), "2*pp = 32", "16"});
    }
}

TEST_CASE("run: a layout that does not fit the model is refused", "[cli]") {
    TempDir tmp;
    SECTION("tp does not divide the attention heads") {
        const auto f = scenario_variant(tmp, "tp.json", kV3Scenario, [](json& j) {
            j["cluster"]["gpus_per_node"] = 3;  // 256 nodes x 3 = 768 = tp 3 x pp 16 x dp 16
            j["parallelism"]["tp"] = 3;
            j["parallelism"]["dp"] = 16;
            j["parallelism"]["ep"] = 48;
        });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/tp"), "3 does not divide the 128 attention heads"});
    }
    SECTION("ep does not divide the routed experts") {
        const auto f = scenario_variant(tmp, "ep.json", kMixtralScenario, [](json& j) { j["parallelism"]["ep"] = 16; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/ep"), "16 does not divide the 8 routed experts"});
    }
    SECTION("ep > 1 on a dense model") {
        const auto f = scenario_variant(tmp, "dense.json", kLlamaScenario, [](json& j) { j["parallelism"]["ep"] = 2; });
        expect_rejected(tmp, {f}, {at(f, "/parallelism/ep"), "llama-3.1-405b", "dense"});
    }
    SECTION("comm_sms leaves no SM for computation") {
        for (int sms : {132, 200}) {
            const auto f = scenario_variant(tmp, "sms.json", kV3Scenario,
                                            [&](json& j) { j["parallelism"]["comm_sms"] = sms; });
            expect_rejected(tmp, {f}, {at(f, "/parallelism/comm_sms"), std::to_string(sms), "H800", "132"});
        }
    }
}

TEST_CASE("run: an unknown GPU or model is refused with a did-you-mean", "[cli]") {
    TempDir tmp;
    SECTION("GPU") {
        const auto f = scenario_variant(tmp, "gpu.json", kV3Scenario, [](json& j) { j["cluster"]["gpu"] = "H80"; });
        expect_rejected(tmp, {f}, {at(f, "/cluster/gpu"), "unknown GPU \"H80\"", "did you mean \"H800\"?"});
    }
    SECTION("model name") {
        const auto f = scenario_variant(tmp, "model.json", kV3Scenario, [](json& j) { j["model"] = "deepseek_v3"; });
        expect_rejected(tmp, {f}, {at(f, "/model"), "unknown model \"deepseek_v3\"", "did you mean \"deepseek-v3\"?"});
    }
    SECTION("a model path that does not exist") {
        const auto f = scenario_variant(tmp, "path.json", kV3Scenario, [](json& j) { j["model"] = "nope/config.json"; });
        expect_rejected(tmp, {f}, {at(f, "/model"), "cannot read model file \"nope/config.json\""});
    }
    SECTION("a model file without a required field") {
        json config = load_json(source_path("scenarios/models/deepseek-v3.json"));
        config.erase("num_hidden_layers");
        const auto model = write_json(tmp, "broken-model.json", config);
        const auto f = scenario_variant(tmp, "broken.json", kV3Scenario, [&](json& j) { j["model"] = model; });
        expect_rejected(tmp, {f}, {at(model, "/num_hidden_layers"), "missing"});
    }
}

TEST_CASE("run: a scenario file that does not exist is refused", "[cli]") {
    TempDir tmp;
    const auto f = (tmp / "missing.json").string();
    expect_rejected(tmp, {f}, {f + ": cannot read the scenario file"});
}

TEST_CASE("run: a bad --set is refused", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    SECTION("no leading slash") {
        expect_rejected(tmp, {v3, "--set", "parallelism/pp=8"}, {v3 + ": ", "--set \"parallelism/pp=8\"", "/json/pointer=value"});
    }
    SECTION("no value") {
        expect_rejected(tmp, {v3, "--set", "/parallelism/pp"}, {"--set \"/parallelism/pp\"", "/json/pointer=value"});
    }
    SECTION("a key that does not exist") {
        expect_rejected(tmp, {v3, "--set", "/parallelism/pipeline=8"}, {at(v3, "/parallelism/pipeline"), "unknown key"});
    }
    SECTION("a path through a number") {
        expect_rejected(tmp, {v3, "--set", "/cluster/nodes/x=1"}, {at(v3, "/cluster/nodes/x"), "/cluster/nodes", "not an object"});
    }
    SECTION("a value that makes the layout invalid") {
        expect_rejected(tmp, {v3, "--set", "/parallelism/pp=8"}, {at(v3, "/parallelism"), "1*8*128 = 1024", "2048"});
    }
    SECTION("the last of two --set makes it invalid") {
        expect_rejected(tmp, {v3, "--set", "/parallelism/pp=32", "--set", "/parallelism/dp=128"},
                        {at(v3, "/parallelism"), "1*32*128 = 4096"});
    }
}

TEST_CASE("run: a layout that does not fit in GPU memory is refused unless --allow-memory-overflow", "[cli]") {
    TempDir tmp;
    const auto f = scenario_variant(tmp, "pp8.json", kV3Scenario, [](json& j) {
        j["parallelism"]["pp"] = 8;  // same GPUs, half the pipeline: each rank holds twice the layers
        j["parallelism"]["dp"] = 256;
    });
    const auto r = expect_rejected(tmp, {f}, {at(f, "/parallelism"), "H800"});
    std::smatch m;
    REQUIRE(std::regex_search(r.err, m, std::regex(R"(needs ([0-9.]+) GB.* has ([0-9.]+) GB)")));
    const double needed_GB = std::stod(m[1]);
    const double available_GB = std::stod(m[2]);
    CHECK(needed_GB > available_GB);
    const double hbm_bytes = gpu_spec(tmp, "H800").at("hbm_bytes").get<double>();
    CHECK(available_GB == Approx(hbm_bytes / 1e9).epsilon(0.002));

    const auto db = tmp / "overflow.sqlite";
    const json out = run_json(tmp, {f, "--allow-memory-overflow", "--db", db.string()});
    REQUIRE(out.at("runs").size() == 1);
    const json& run = out["runs"][0];
    CHECK(run.at("peak_memory_GB").get<double>() == Approx(needed_GB).epsilon(0.002));
    CHECK(run.at("peak_memory_GB").get<double>() * 1e9 > hbm_bytes);
    CHECK(run.at("mfu").get<double>() > 0);
    CHECK(count_runs(db) == 1);
}

TEST_CASE("run: a database path that cannot be written is refused and left alone", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    SECTION("in a directory that does not exist") {
        const auto db = tmp / "no-such-dir" / "results.sqlite";
        const auto r = run_moesim(tmp, "run", v3, "--db", db.string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(db.string()));
        CHECK_THAT(r.err, Contains("does not exist"));
        CHECK(r.out.empty());
        CHECK_FALSE(std::filesystem::exists(tmp / "no-such-dir"));
    }
    SECTION("a text file") {
        const std::string text = "my notes, not a database\nline two\n";
        const auto db = write_text(tmp, "notes.txt", text);
        const auto r = run_moesim(tmp, "run", v3, "--db", db);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(db));
        CHECK_THAT(r.err, Contains("not a SQLite database"));
        CHECK(r.out.empty());
        CHECK(read_file(db) == text);
        CHECK_FALSE(std::filesystem::exists(db + "-wal"));
        CHECK_FALSE(std::filesystem::exists(db + "-journal"));
    }
    SECTION("a directory") {
        const auto r = run_moesim(tmp, "run", v3, "--db", tmp.path().string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(tmp.path().string()));
        CHECK(r.out.empty());
    }
}

TEST_CASE("run: when the second of two scenarios is bad, neither is written", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    SECTION("it does not exist") {
        const auto bad = (tmp / "missing.json").string();
        expect_rejected(tmp, {v3, bad}, {bad + ": cannot read the scenario file"});
    }
    SECTION("it fails only the memory check, after parsing") {
        const auto bad = scenario_variant(tmp, "pp8.json", kV3Scenario, [](json& j) {
            j["parallelism"]["pp"] = 8;
            j["parallelism"]["dp"] = 256;
        });
        expect_rejected(tmp, {v3, bad}, {at(bad, "/parallelism"), "GB"});
    }
    SECTION("it is a serving scenario that fails its trace check, after parsing") {
        const auto serve = scenario_variant(tmp, "traced.json", kServeScenario, [](json& j) {
            j["inference"]["traffic"] = {{"arrival", "trace"}, {"trace_file", "no-such-trace.csv"}};
        });
        expect_rejected(tmp, {v3, serve}, {at(serve, "/inference/traffic/trace_file"), "cannot read the request trace"});
    }
}

TEST_CASE("run: an unknown --fidelity is refused before anything is written", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    expect_rejected(tmp, {v3, "--fidelity", "fast"}, {"--fidelity fast", "analytic"});
}
