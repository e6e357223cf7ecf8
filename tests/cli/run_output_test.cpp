// `moesim run` when all is well: the --json contract (DESIGN.md §6), the row it writes (§4),
// determinism, --set, --explain, and `moesim runs` reading the database back.
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

const std::set<std::string> kTrainingKeys = {
    // every run
    "run_id", "name", "mode", "model", "gpu", "gpus", "seed", "sim_wall_s",
    // training
    "step_time_s", "tokens_per_step", "tokens_per_s", "tokens_per_s_per_gpu", "model_flops_per_token", "mfu",
    "bubble_fraction", "exposed_comm_s", "peak_memory_GB", "gpu_hours", "cost_usd", "usd_per_million_tokens",
    "wall_days", "breakdown",
    // beside them
    "fidelity", "assumptions", "fp8_utilization",
    // schema 3 (issue 18): what tells runs apart
    "label", "overrides", "memory_headroom_GB", "over_memory",
    // issue 12: the step by schedule phase
    "phases"};

std::set<std::string> keys_of(const json& j) {
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    return keys;
}

double num(const json& run, const char* key) {
    INFO(key);
    REQUIRE(run.at(key).is_number());
    return run[key].get<double>();
}

// The output of `moesim run` without what may differ between two runs of the same scenario.
json without_run_identity(json run) {
    run.erase("run_id");
    run.erase("sim_wall_s");
    return run;
}

std::string sha256_of(const TempDir& tmp, const std::string& text) {
    const auto f = write_text(tmp, "sha-input.txt", text);
    std::string cmd = "sha256sum " + shell_quote(f);
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[128] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
    pclose(p);
    return std::string(buf, n).substr(0, 64);
}

// Every key of `part` is in `whole` with the same value (objects compared recursively).
void check_contains(const json& whole, const json& part, const std::string& path = "") {
    for (const auto& [k, v] : part.items()) {
        const std::string here = path + "/" + k;
        INFO(here);
        REQUIRE(whole.contains(k));
        if (v.is_object())
            check_contains(whole[k], v, here);
        else
            CHECK(whole[k] == v);
    }
}

}  // namespace

TEST_CASE("run --json: the DeepSeek-V3 scenario gives exactly the DESIGN §6 training fields", "[cli]") {
    TempDir tmp;
    const auto db = tmp / "r.sqlite";
    const json out = run_json(tmp, {source_path(kV3Scenario), "--db", db.string()});
    REQUIRE(keys_of(out) == std::set<std::string>{"runs"});
    REQUIRE(out["runs"].size() == 1);
    const json& run = out["runs"][0];
    CHECK(keys_of(run) == kTrainingKeys);
    CHECK(keys_of(run.at("exposed_comm_s")) == std::set<std::string>{"ep", "pp", "dp", "tp"});

    SECTION("what the scenario says is echoed") {
        CHECK(run["name"] == "deepseek-v3-pretrain");
        CHECK(run["mode"] == "training");
        CHECK(run["model"] == "deepseek-v3");
        CHECK(run["gpu"] == "H800");
        CHECK(run["gpus"] == 2048);
        CHECK(run["seed"] == 1);
        CHECK(run["fidelity"] == "analytic");
        CHECK(run["tokens_per_step"] == 15360.0 * 4096);
    }
    SECTION("numbers are finite, positive where they must be, and agree with each other") {
        for (const char* k : {"step_time_s", "tokens_per_step", "tokens_per_s", "tokens_per_s_per_gpu",
                              "model_flops_per_token", "mfu", "fp8_utilization", "peak_memory_GB", "gpu_hours",
                              "cost_usd", "usd_per_million_tokens", "wall_days"}) {
            INFO(k);
            CHECK(std::isfinite(num(run, k)));
            CHECK(num(run, k) > 0);
        }
        CHECK(num(run, "sim_wall_s") >= 0);
        CHECK(num(run, "mfu") < 1);
        CHECK(num(run, "fp8_utilization") < num(run, "mfu"));  // the FP8 peak is the higher one
        CHECK(num(run, "bubble_fraction") >= 0);
        CHECK(num(run, "bubble_fraction") < 1);
        for (const auto& [kind, s] : run["exposed_comm_s"].items()) {
            INFO(kind);
            CHECK(std::isfinite(s.get<double>()));
            CHECK(s.get<double>() >= 0);
        }
        const double step = num(run, "step_time_s");
        const double tokens_per_s = num(run, "tokens_per_s");
        CHECK(tokens_per_s == Approx(num(run, "tokens_per_step") / step).epsilon(1e-9));
        CHECK(num(run, "tokens_per_s_per_gpu") == Approx(tokens_per_s / 2048).epsilon(1e-9));
        const double total_tokens = 14.8e12;
        CHECK(num(run, "wall_days") == Approx(total_tokens / tokens_per_s / 86400).epsilon(1e-9));
        CHECK(num(run, "gpu_hours") == Approx(total_tokens / tokens_per_s * 2048 / 3600).epsilon(1e-9));
        CHECK(num(run, "cost_usd") == Approx(num(run, "gpu_hours") * 2.0).epsilon(1e-9));
        CHECK(num(run, "usd_per_million_tokens") == Approx(num(run, "cost_usd") / (total_tokens / 1e6)).epsilon(1e-9));
        // MFU: model FLOPs against the dense BF16 peak (DESIGN §6), whatever the precision.
        const double bf16_peak = gpu_spec(tmp, "H800").at("bf16_dense_TFLOPS").get<double>() * 1e12;
        CHECK(num(run, "mfu") ==
              Approx(num(run, "tokens_per_s_per_gpu") * num(run, "model_flops_per_token") / bf16_peak).epsilon(1e-6));
        const auto model = run_moesim(tmp, "model", "deepseek-v3", "--json");
        REQUIRE(model.exit_status == 0);
        CHECK(num(run, "model_flops_per_token") == json::parse(model.out).at("flops_per_token_training").get<double>());
        CHECK(num(run, "peak_memory_GB") * 1e9 < gpu_spec(tmp, "H800").at("hbm_bytes").get<double>());
    }
    SECTION("the breakdown adds up to the step") {
        const json& breakdown = run.at("breakdown");
        REQUIRE(breakdown.is_array());
        REQUIRE_FALSE(breakdown.empty());
        double sum = 0, bubble = 0;
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& b : breakdown) {
            CHECK(keys_of(b) == std::set<std::string>{"phase", "category", "seconds"});
            const double s = b.at("seconds").get<double>();
            CHECK(std::isfinite(s));
            CHECK(s >= 0);
            const bool first_time = seen.emplace(b["phase"], b["category"]).second;
            CHECK(first_time);  // each (phase, category) once
            sum += s;
            if (b["phase"] == "idle" && b["category"] == "bubble") bubble = s;
        }
        CHECK(sum == Approx(num(run, "step_time_s")).epsilon(1e-6));
        CHECK(bubble / num(run, "step_time_s") == Approx(num(run, "bubble_fraction")).epsilon(1e-6));
    }
    SECTION("assumptions are sentences") {
        REQUIRE(run.at("assumptions").is_array());
        CHECK_FALSE(run["assumptions"].empty());
        for (const auto& a : run["assumptions"]) CHECK_FALSE(a.get<std::string>().empty());
    }
}

TEST_CASE("run: the database row holds the run as printed", "[cli]") {
    TempDir tmp;
    const auto db = tmp / "r.sqlite";
    const auto v3 = source_path(kV3Scenario);
    const json run = run_json(tmp, {v3, "--db", db.string()}).at("runs").at(0);
    REQUIRE(count_runs(db) == 1);
    const Row row = query(db, "SELECT * FROM runs").at(0);

    CHECK(std::stoll(row.at("id")) == run["run_id"].get<long long>());
    CHECK(row.at("name") == run["name"]);
    CHECK(row.at("mode") == run["mode"]);
    CHECK(row.at("model") == run["model"]);
    CHECK(row.at("gpu") == run["gpu"]);
    CHECK(std::stoll(row.at("gpus")) == run["gpus"].get<long long>());
    CHECK(std::stoll(row.at("seed")) == run["seed"].get<long long>());
    CHECK(row.at("fidelity") == run["fidelity"]);
    CHECK(std::stod(row.at("sim_wall_s")) == run["sim_wall_s"].get<double>());
    CHECK_FALSE(row.at("tool_version").empty());
    CHECK_FALSE(row.at("created_utc").empty());

    SECTION("scenario_json is the scenario with every default filled, as --explain prints it") {
        const json stored = json::parse(row.at("scenario_json"));
        const auto explain = run_moesim(tmp, "run", v3, "--explain");
        REQUIRE(explain.exit_status == 0);
        CHECK(stored == json::parse(explain.out));
        check_contains(stored, load_json(v3));
    }
    SECTION("scenario_sha256 is the SHA-256 of scenario_json") {
        const std::string sha = row.at("scenario_sha256");
        CHECK(std::regex_match(sha, std::regex("[0-9a-f]{64}")));
        CHECK(sha == sha256_of(tmp, row.at("scenario_json")));
    }
    SECTION("training_results has the same numbers as --json") {
        const Row t = query(db, "SELECT * FROM training_results").at(0);
        CHECK(std::stoll(t.at("run_id")) == run["run_id"].get<long long>());
        for (const char* k : {"step_time_s", "tokens_per_step", "tokens_per_s", "tokens_per_s_per_gpu",
                              "model_flops_per_token", "mfu", "fp8_utilization", "bubble_fraction", "peak_memory_GB",
                              "gpu_hours", "cost_usd", "usd_per_million_tokens", "wall_days"}) {
            INFO(k);
            CHECK(std::stod(t.at(k)) == num(run, k));
        }
        for (const char* kind : {"ep", "pp", "dp", "tp"}) {
            INFO(kind);
            CHECK(std::stod(t.at(std::string("exposed_") + kind + "_s")) == run["exposed_comm_s"][kind].get<double>());
        }
        const auto breakdown = query(db, "SELECT phase, category, seconds FROM breakdown ORDER BY ordinal");
        REQUIRE(breakdown.size() == run["breakdown"].size());
        for (std::size_t i = 0; i < breakdown.size(); ++i) {
            CHECK(breakdown[i].at("phase") == run["breakdown"][i]["phase"]);
            CHECK(breakdown[i].at("category") == run["breakdown"][i]["category"]);
            CHECK(std::stod(breakdown[i].at("seconds")) == run["breakdown"][i]["seconds"].get<double>());
        }
    }
}

TEST_CASE("run: the same scenario twice gives the same answer", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    const json first = run_json(tmp, {v3, "--db", (tmp / "a.sqlite").string()}).at("runs").at(0);
    const json second = run_json(tmp, {v3, "--db", (tmp / "a.sqlite").string()}).at("runs").at(0);
    const json elsewhere = run_json(tmp, {v3, "--db", (tmp / "b.sqlite").string()}).at("runs").at(0);
    CHECK(second["run_id"].get<long long>() == first["run_id"].get<long long>() + 1);
    CHECK(count_runs(tmp / "a.sqlite") == 2);
    const json a = without_run_identity(first);
    for (const json* other : {&second, &elsewhere}) {
        const json b = without_run_identity(*other);
        CHECK(keys_of(a) == keys_of(b));
        for (const auto& [k, v] : a.items()) {
            INFO(k);
            CHECK(b.at(k) == v);  // exact, doubles included
        }
    }
    // the rows agree too, bar id, time and wall time
    const auto rows = query(tmp / "a.sqlite", "SELECT scenario_json, scenario_sha256 FROM runs");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == rows[1]);
}

TEST_CASE("run --set overrides a key, and is checked like the file", "[cli]") {
    TempDir tmp;
    const auto v3 = source_path(kV3Scenario);
    const auto db = tmp / "r.sqlite";
    const json base = run_json(tmp, {v3, "--db", db.string()}).at("runs").at(0);

    SECTION("pp 8 alone no longer covers the cluster") {
        const auto r = run_moesim(tmp, "run", v3, "--set", "/parallelism/pp=8", "--db", db.string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(at(v3, "/parallelism")));
        CHECK(count_runs(db) == 1);
    }
    SECTION("pp 8 with dp 256 passes the layout checks; it then needs --allow-memory-overflow") {
        const auto r = run_moesim(tmp, "run", v3, "--set", "/parallelism/pp=8", "--set", "/parallelism/dp=256", "--db",
                                  db.string());
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(" GB"));
        CHECK_THAT(r.err, !Contains("does not match"));
        const json run = run_json(tmp, {v3, "--set", "/parallelism/pp=8", "--set", "/parallelism/dp=256",
                                        "--allow-memory-overflow", "--db", db.string()})
                             .at("runs")
                             .at(0);
        CHECK(run["step_time_s"] != base["step_time_s"]);
        CHECK(run["peak_memory_GB"].get<double>() > base["peak_memory_GB"].get<double>());
    }
    SECTION("pp 32 with dp 64 fits, changes the result and is recorded in the scenario") {
        const json run =
            run_json(tmp, {v3, "--set", "/parallelism/pp=32", "--set", "/parallelism/dp=64", "--db", db.string()})
                .at("runs")
                .at(0);
        CHECK(run["step_time_s"] != base["step_time_s"]);
        CHECK(run["mfu"] != base["mfu"]);
        CHECK(run["gpus"] == base["gpus"]);
        const auto rows = query(db, "SELECT scenario_json FROM runs WHERE id = " + run["run_id"].dump());
        REQUIRE(rows.size() == 1);
        const json stored = json::parse(rows[0].at("scenario_json"));
        CHECK(stored["parallelism"]["pp"] == 32);
        CHECK(stored["parallelism"]["dp"] == 64);
    }
    SECTION("a value that is not JSON is read as a string") {
        const json run = run_json(tmp, {v3, "--set", "/cluster/gpu=H100", "--db", db.string()}).at("runs").at(0);
        CHECK(run["gpu"] == "H100");
        CHECK(run["step_time_s"] != base["step_time_s"]);
    }
}

TEST_CASE("run --explain prints the scenario with its defaults and writes nothing", "[cli]") {
    TempDir tmp;
    const auto db = tmp / "never.sqlite";
    const auto mixtral = source_path(kMixtralScenario);
    const auto r = run_moesim(tmp, "run", mixtral, "--explain", "--db", db.string());
    REQUIRE(r.exit_status == 0);
    CHECK_FALSE(std::filesystem::exists(db));
    const json s = json::parse(r.out);
    check_contains(s, load_json(mixtral));
    // keys the file leaves out, at their documented defaults (scenarios/README.md)
    CHECK(s.at("seed") == 1);
    CHECK(s.at("parallelism").at("comm_sms") == 0);
    CHECK(s["parallelism"].at("virtual_stages") == 1);
    CHECK(s["parallelism"].at("stage_layers").is_null());
    CHECK(s.at("cluster").at("calibration").is_null());
    CHECK(s["cluster"].at("gpu_overrides") == json::object());
    CHECK(s.at("training").at("steps") == 2);
    CHECK(s["training"].at("moe").at("expert_load") == json{{"kind", "uniform"}});

    SECTION("with --set, and two files: one scenario per document") {
        const auto both = run_moesim(tmp, "run", mixtral, source_path(kV3Scenario), "--explain", "--set",
                                     "/seed=7", "--db", db.string());
        REQUIRE(both.exit_status == 0);
        CHECK_FALSE(std::filesystem::exists(db));
        std::vector<json> docs;
        std::istringstream in(both.out);
        while (in >> std::ws && in.peek() != EOF) {
            json d;
            in >> d;
            docs.push_back(d);
        }
        REQUIRE(docs.size() == 2);
        CHECK(docs[0]["name"] == "mixtral-8x7b-pretrain");
        CHECK(docs[1]["name"] == "deepseek-v3-pretrain");
        for (const auto& d : docs) CHECK(d["seed"] == 7);
    }
}

TEST_CASE("runs lists what run wrote", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "r.sqlite").string();
    const json written =
        run_json(tmp, {source_path(kV3Scenario), source_path(kMixtralScenario), "--db", db}).at("runs");
    REQUIRE(written.size() == 2);

    SECTION("--json, newest first") {
        const auto r = run_moesim(tmp, "runs", "--db", db, "--json");
        REQUIRE(r.exit_status == 0);
        const json listed = json::parse(r.out).at("runs");
        REQUIRE(listed.size() == 2);
        CHECK(listed[0]["run_id"] == written[1]["run_id"]);
        CHECK(listed[1]["run_id"] == written[0]["run_id"]);
        for (std::size_t i = 0; i < 2; ++i) {
            const json& w = written[1 - i];
            for (const char* k : {"name", "mode", "model", "gpu", "gpus", "fidelity", "mfu", "step_time_s", "gpu_hours",
                                  "cost_usd"}) {
                INFO(k);
                CHECK(listed[i].at(k) == w.at(k));
            }
        }
    }
    SECTION("--limit and --name") {
        const auto one = run_moesim(tmp, "runs", "--db", db, "--json", "--limit", "1");
        REQUIRE(one.exit_status == 0);
        CHECK(json::parse(one.out)["runs"].size() == 1);
        const auto named = run_moesim(tmp, "runs", "--db", db, "--json", "--name", "deepseek*");
        REQUIRE(named.exit_status == 0);
        const json listed = json::parse(named.out)["runs"];
        REQUIRE(listed.size() == 1);
        CHECK(listed[0]["name"] == "deepseek-v3-pretrain");
    }
    SECTION("as a table") {
        const auto r = run_moesim(tmp, "runs", "--db", db);
        REQUIRE(r.exit_status == 0);
        CHECK_THAT(r.out, Contains("deepseek-v3-pretrain"));
        CHECK_THAT(r.out, Contains("mixtral-8x7b-pretrain"));
    }
    SECTION("runs does not change the database") {
        const std::string before = read_file(db);
        REQUIRE(run_moesim(tmp, "runs", "--db", db).exit_status == 0);
        CHECK(count_runs(db) == 2);
        CHECK(read_file(db) == before);
    }
}

TEST_CASE("runs on a database that does not exist, or is not one, exits 2 and changes nothing", "[cli]") {
    TempDir tmp;
    const auto db = (tmp / "missing.sqlite").string();
    const auto r = run_moesim(tmp, "runs", "--db", db);
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Contains(db));
    CHECK(r.out.empty());
    CHECK_FALSE(std::filesystem::exists(db));

    const std::string text = "not a database\n";
    const auto notes = write_text(tmp, "notes.txt", text);
    const auto on_text = run_moesim(tmp, "runs", "--db", notes);
    CHECK(on_text.exit_status == 2);
    CHECK_THAT(on_text.err, Contains("not a SQLite database"));
    CHECK(read_file(notes) == text);
}

TEST_CASE("run: every bundled training scenario runs, with MFU in (0, 1)", "[cli]") {
    TempDir tmp;
    std::vector<std::string> args;
    for (const auto& e : std::filesystem::directory_iterator(source_path("scenarios"))) {
        const std::string name = e.path().filename().string();
        if (name.size() > 14 && name.compare(name.size() - 14, 14, "-pretrain.json") == 0) args.push_back(e.path().string());
    }
    std::sort(args.begin(), args.end());
    REQUIRE(args.size() >= 3);
    const std::size_t n = args.size();
    const auto db = tmp / "all.sqlite";
    args.insert(args.end(), {"--db", db.string()});
    const json runs = run_json(tmp, args).at("runs");
    REQUIRE(runs.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        INFO(args[i]);
        CHECK(runs[i]["name"] == load_json(args[i])["name"]);
        CHECK(keys_of(runs[i]) == kTrainingKeys);
        CHECK(num(runs[i], "mfu") > 0);
        CHECK(num(runs[i], "mfu") < 1);
        CHECK(num(runs[i], "step_time_s") > 0);
        // The phases are a partition of the step: none negative, together the step time.
        double phase_sum_s = 0;
        for (const auto& p : runs[i].at("phases")) {
            CHECK(p.at("seconds").get<double>() >= 0);
            phase_sum_s += p.at("seconds").get<double>();
        }
        CHECK(phase_sum_s == Approx(num(runs[i], "step_time_s")).epsilon(1e-9));
    }
    CHECK(count_runs(db) == static_cast<long long>(n));
}

TEST_CASE("run: a model given by path, relative to the scenario, gives the built-in's answer", "[cli]") {
    TempDir tmp;
    std::filesystem::copy_file(source_path("scenarios/models/deepseek-v3.json"), tmp / "my-v3.json");
    const auto f = scenario_variant(tmp, "by-path.json", kV3Scenario, [](json& j) { j["model"] = "my-v3.json"; });
    const auto db = (tmp / "r.sqlite").string();
    json by_name = without_run_identity(run_json(tmp, {source_path(kV3Scenario), "--db", db}).at("runs").at(0));
    json by_path = without_run_identity(run_json(tmp, {f, "--db", db}).at("runs").at(0));
    CHECK(by_path["model"] == "my-v3.json");
    by_name.erase("model");
    by_path.erase("model");
    for (const auto& [k, v] : by_name.items()) {
        INFO(k);
        CHECK(by_path.at(k) == v);
    }
}

TEST_CASE("run --explain prints a serving scenario and writes nothing", "[cli]") {
    TempDir tmp;
    const auto db = tmp / "never.sqlite";
    const auto serve = source_path("scenarios/deepseek-v3-serve.json");
    const auto r = run_moesim(tmp, "run", serve, "--explain", "--db", db.string());
    REQUIRE(r.exit_status == 0);
    CHECK_FALSE(std::filesystem::exists(db));
    const json s = json::parse(r.out);
    check_contains(s, load_json(serve));
    CHECK(s.at("mode") == "inference");
    CHECK(s.at("inference").at("decode").at("mtp").at("acceptance") == 0.85);
}
