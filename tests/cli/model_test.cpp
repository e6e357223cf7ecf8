// `moesim model`, `moesim models`, `moesim gpus`: what is built in, and a model's accounting
// (DESIGN.md §6) checked against the published sizes.
#include <set>

#include <catch2/catch.hpp>

#include "cli_fixtures.h"

using namespace moesim::test;
using Catch::Matchers::Contains;

namespace {

json model_json(const TempDir& tmp, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"model"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--json");
    const auto r = run_moesim_args(tmp, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

double num(const json& j, const char* key) {
    INFO(key);
    REQUIRE(j.at(key).is_number());
    return j[key].get<double>();
}

}  // namespace

TEST_CASE("model deepseek-v3: 671B total, 37B active, MLA's KV cache, an MTP module", "[cli]") {
    TempDir tmp;
    const json a = model_json(tmp, {"deepseek-v3"});
    for (const char* k : {"params_total", "params_active", "params_mtp", "layers", "kv_cache_bytes_per_token",
                          "flops_per_token_forward", "flops_per_token_training"})
        CHECK(a.contains(k));
    CHECK(num(a, "params_total") == Approx(671e9).epsilon(0.005));
    CHECK(num(a, "params_active") == Approx(37e9).epsilon(0.03));
    CHECK(num(a, "kv_cache_bytes_per_token") == 61 * 576 * 2);  // 61 layers x (512 latent + 64 RoPE) x BF16
    CHECK(num(a, "params_mtp") > 0);
    CHECK(a.at("layers") == 61);
    CHECK(num(a, "flops_per_token_training") > 2 * num(a, "flops_per_token_forward"));
    CHECK(num(a, "flops_per_token_forward") > 2 * num(a, "params_active"));  // 2 x active, plus attention
}

TEST_CASE("model llama-3.1-405b: 405B dense, GQA KV cache, no MTP", "[cli]") {
    TempDir tmp;
    const json a = model_json(tmp, {"llama-3.1-405b"});
    CHECK(num(a, "params_total") == Approx(405e9).epsilon(0.005));
    CHECK(num(a, "kv_cache_bytes_per_token") == 126 * 8 * 128 * 2 * 2);  // layers x kv heads x head dim x (K, V) x BF16
    CHECK(num(a, "params_mtp") == 0);
    CHECK(a.at("layers") == 126);
}

TEST_CASE("model: a config given by path gives the same numbers as the built-in name", "[cli]") {
    TempDir tmp;
    for (const char* name : {"deepseek-v3", "mixtral-8x7b"}) {
        INFO(name);
        const auto copy = tmp / (std::string("copy-of-") + name + ".json");
        std::filesystem::copy_file(source_path(std::string("scenarios/models/") + name + ".json"), copy);
        json by_name = model_json(tmp, {name});
        json by_path = model_json(tmp, {copy.string()});
        by_name.erase("name");
        by_path.erase("name");
        CHECK(by_path == by_name);
    }
}

TEST_CASE("model: --seq-len changes the attention FLOPs, not the parameters", "[cli]") {
    TempDir tmp;
    const json short_ctx = model_json(tmp, {"deepseek-v3", "--seq-len", "4096"});
    const json long_ctx = model_json(tmp, {"deepseek-v3", "--seq-len", "8192"});
    CHECK(short_ctx == model_json(tmp, {"deepseek-v3"}));  // 4096 is the default
    CHECK(num(long_ctx, "flops_per_token_forward") > num(short_ctx, "flops_per_token_forward"));
    CHECK(num(long_ctx, "flops_per_token_training") > num(short_ctx, "flops_per_token_training"));
    for (const char* k : {"params_total", "params_active", "params_mtp", "layers", "kv_cache_bytes_per_token"}) {
        INFO(k);
        CHECK(long_ctx.at(k) == short_ctx.at(k));
    }
}

TEST_CASE("model: what it cannot find or read exits 2", "[cli]") {
    TempDir tmp;
    SECTION("an unknown name, with a did-you-mean") {
        const auto r = run_moesim(tmp, "model", "deepseek_v3", "--json");
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains("unknown model \"deepseek_v3\""));
        CHECK_THAT(r.err, Contains("did you mean \"deepseek-v3\"?"));
        CHECK(r.out.empty());
    }
    SECTION("a path that does not exist") {
        const auto missing = (tmp / "nope" / "config.json").string();
        const auto r = run_moesim(tmp, "model", missing);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(missing));
    }
    SECTION("a config without a required field names it") {
        json config = load_json(source_path("scenarios/models/deepseek-v3.json"));
        config.erase("num_hidden_layers");
        const auto f = write_json(tmp, "broken.json", config);
        const auto r = run_moesim(tmp, "model", f);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains(at(f, "/num_hidden_layers")));
    }
    SECTION("a sequence length of 0") {
        const auto r = run_moesim(tmp, "model", "deepseek-v3", "--seq-len", "0");
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Contains("--seq-len"));
    }
    SECTION("no model at all") {
        CHECK(run_moesim(tmp, "model").exit_status == 2);
    }
}

TEST_CASE("models --json lists every file in scenarios/models", "[cli]") {
    TempDir tmp;
    std::set<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(source_path("scenarios/models")))
        if (e.path().extension() == ".json") files.insert(e.path().stem().string());
    REQUIRE(files.size() >= 8);
    const auto r = run_moesim(tmp, "models", "--json");
    REQUIRE(r.exit_status == 0);
    std::set<std::string> listed;
    for (const auto& m : json::parse(r.out)) {
        INFO(m.dump());
        listed.insert(m.at("name").get<std::string>());
        CHECK(m.at("params_total").get<double>() >= m.at("params_active").get<double>());
        CHECK(m.at("params_active").get<double>() > 0);
        CHECK(m.at("layers").get<int>() > 0);
    }
    CHECK(listed == files);
}

TEST_CASE("gpus --json has the H800, H100 and H200", "[cli]") {
    TempDir tmp;
    const auto r = run_moesim(tmp, "gpus", "--json");
    REQUIRE(r.exit_status == 0);
    std::set<std::string> names;
    for (const auto& g : json::parse(r.out)) {
        INFO(g.dump());
        names.insert(g.at("name").get<std::string>());
        for (const char* k : {"sm_count", "hbm_bytes", "hbm_GBps", "bf16_dense_TFLOPS", "fp8_dense_TFLOPS", "nvlink_GBps"})
            CHECK(g.at(k).get<double>() > 0);
        CHECK(g["fp8_dense_TFLOPS"].get<double>() == Approx(2 * g["bf16_dense_TFLOPS"].get<double>()).epsilon(0.01));
    }
    for (const char* gpu : {"H800", "H100", "H200"}) CHECK(names.count(gpu) == 1);
    // the H800 is the H100 with NVLink cut down (DeepSeek-V3 report §3.1)
    CHECK(gpu_spec(tmp, "H800").at("nvlink_GBps").get<double>() < gpu_spec(tmp, "H100").at("nvlink_GBps").get<double>());
}
