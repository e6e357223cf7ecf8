// `moesim search` (issue 14 item 2): the top N under constraints, found with pruning, equals
// the exhaustive top N; constraints filter; the answer does not depend on -j; why a runner-up
// loses is its figures' difference; a bad search document is exit 2 naming the JSON path.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "cli_fixtures.h"

using namespace moesim::test;

namespace {

// Mixtral 8x7B on 64 H100s and on 32 (nodes zipped with dp), over TP×DP, the schedule,
// micro-batch sizes and recompute policies: 5 × 2 × 3 × 3 = 90 points, some over memory.
json mixtral_search(const json& objective, const json& constraints, int top) {
    return {{"name", "mixtral-search"},
            {"scenario", source_path(kMixtralScenario)},
            {"objective", objective},
            {"constraints", constraints},
            {"top", top},
            {"axes",
             {{{"set", {"/cluster/nodes", "/parallelism/tp", "/parallelism/pp", "/parallelism/dp"}},
               {"values", {{8, 1, 1, 64}, {8, 2, 1, 32}, {8, 4, 2, 8}, {4, 2, 1, 16}, {4, 2, 2, 8}}}},
              {{"set", "/parallelism/schedule"}, {"values", {"1f1b", "gpipe"}}},
              {{"set", "/parallelism/micro_batch_size"}, {"values", {1, 2, 4}}},
              {{"set", "/parallelism/recompute"}, {"values", {"none", "selective", "full"}}}}}};
}

json search_json(const TempDir& tmp, const std::string& doc, const std::string& db, std::vector<std::string> extra) {
    std::vector<std::string> args = {"search", doc, "--db", db, "--json", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_moesim_args(tmp, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_status == 0);
    return json::parse(r.out);
}

// The top list without what depends on the database (run ids).
json answer(const json& out) {
    json a = out.at("top");
    for (auto& row : a) row.erase("run_id");
    return a;
}

std::int64_t sum(const json& counts) {
    std::int64_t n = 0;
    for (const auto& [k, v] : counts.items()) n += v.get<std::int64_t>();
    return n;
}

}  // namespace

TEST_CASE("search: the pruned top N is the exhaustive one, and every point is accounted for", "[cli]") {
    TempDir tmp;
    const json doc = mixtral_search({{"metric", "gpu_hours"}}, json::object(), 4);
    const auto f = write_json(tmp, "search.json", doc);
    const json pruned = search_json(tmp, f, (tmp / "p.sqlite").string(), {"-j", "2"});
    const json full = search_json(tmp, f, (tmp / "e.sqlite").string(), {"-j", "2", "--exhaustive"});
    REQUIRE(pruned.at("top").size() == 4);
    CHECK(answer(pruned) == answer(full));
    const json& c = pruned.at("counts");
    const json& e = full.at("counts");
    CHECK(e.at("pruned_by_bound") == 0);
    // Every point is refused, pruned, simulated or refused at simulation; none twice.
    CHECK(sum(c.at("refused")) + sum(c.at("pruned_before_simulation")) + c.at("pruned_by_bound").get<std::int64_t>() +
              c.at("simulated").get<std::int64_t>() ==
          90);
    CHECK(c.at("simulated").get<std::int64_t>() + c.at("pruned_by_bound").get<std::int64_t>() == e.at("simulated"));
    CHECK(c.at("refused").contains("does not fit in GPU memory"));
    // The exhaustive list, ranked by hand from every simulated run stored: the same order.
    const auto best = pruned.at("top");
    for (std::size_t i = 1; i < best.size(); ++i) {
        CHECK(best[i].at("objective").get<double>() >= best[i - 1].at("objective").get<double>());
        CHECK(best[i].at("objective_bound").get<double>() <= best[i].at("objective").get<double>());
    }
    // The top runs are recorded, tagged with the search like a sweep's runs.
    const auto rows = query(tmp / "p.sqlite",
                            "SELECT r.label, t.gpu_hours, s.name AS sweep FROM runs AS r JOIN training_results AS t ON "
                            "t.run_id = r.id JOIN sweeps AS s ON s.id = r.sweep_id ORDER BY r.id");
    REQUIRE(rows.size() == 4);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i].at("sweep") == "mixtral-search");
        CHECK(rows[i].at("label") == best[i].at("label"));
        CHECK(std::stod(rows[i].at("gpu_hours")) == best[i].at("objective").get<double>());
    }
    // A point's figures are `moesim run`'s with the same overrides.
    std::vector<std::string> args = {source_path(kMixtralScenario), "--db", (tmp / "run.sqlite").string()};
    for (const auto& s : best[0].at("overrides")) args.insert(args.end(), {"--set", s.get<std::string>()});
    CHECK(run_json(tmp, args).at("runs").at(0).at("gpu_hours") == best[0].at("objective"));
}

TEST_CASE("search: the bound prunes points that cannot enter the top N, with the same answer", "[cli]") {
    TempDir tmp;
    // The tokens per second per GPU of a BF16 point is bounded through the BF16 peak; the best
    // FP8 points beat many of those bounds, so with FP8 in the space those BF16 points are
    // never simulated.
    json doc = mixtral_search({{"metric", "tokens_per_s_per_gpu"}}, json::object(), 1);
    doc["axes"].push_back({{"set", "/training/precision"}, {"values", {"bf16", "fp8"}}});
    const auto f = write_json(tmp, "search.json", doc);
    const json pruned = search_json(tmp, f, (tmp / "p.sqlite").string(), {});
    const json full = search_json(tmp, f, (tmp / "e.sqlite").string(), {"--exhaustive"});
    CHECK(answer(pruned) == answer(full));
    CHECK(pruned.at("counts").at("pruned_by_bound").get<std::int64_t>() > 0);
    CHECK(pruned.at("counts").at("simulated").get<std::int64_t>() < full.at("counts").at("simulated").get<std::int64_t>());
    CHECK(pruned.at("search").at("objective").at("sense") == "maximize");
}

TEST_CASE("search: constraints filter the points, before simulation when they can", "[cli]") {
    TempDir tmp;
    const json free = search_json(tmp, write_json(tmp, "free.json", mixtral_search({{"metric", "gpu_hours"}}, json::object(), 3)),
                                  (tmp / "a.sqlite").string(), {});
    const json doc = mixtral_search({{"metric", "gpu_hours"}}, {{"max_gpus", 32}, {"min_memory_headroom_GB", 10.0}}, 3);
    const json out = search_json(tmp, write_json(tmp, "c.json", doc), (tmp / "b.sqlite").string(), {});
    const json& pruned = out.at("counts").at("pruned_before_simulation");
    CHECK(pruned.at("over constraints/max_gpus").get<std::int64_t>() == 54);  // the 64-GPU points that pass the parser
    CHECK(pruned.contains("under constraints/min_memory_headroom_GB"));
    REQUIRE_FALSE(out.at("top").empty());
    for (const auto& row : out.at("top")) {
        CHECK(row.at("gpus") == 32);
        CHECK(row.at("figures").at("memory_headroom_GB").get<double>() >= 10.0);
    }
    // Without them, the best is a point they rule out.
    const json& first = free.at("top").at(0);
    CHECK((first.at("gpus").get<int>() > 32 || first.at("figures").at("memory_headroom_GB").get<double>() < 10.0));
    CHECK(first.at("label") != out.at("top").at(0).at("label"));
    // A budget no point can meet: pruned by the bound before any simulation, nothing written.
    const json broke = mixtral_search({{"metric", "gpu_hours"}}, {{"max_gpu_hours", 1.0}}, 3);
    const json none = search_json(tmp, write_json(tmp, "broke.json", broke), (tmp / "c.sqlite").string(), {});
    CHECK(none.at("top").empty());
    CHECK(none.at("counts").at("simulated") == 0);
    CHECK(none.at("counts").at("pruned_before_simulation").contains("bound over constraints/max_gpu_hours"));
}

TEST_CASE("search: the answer and the counts do not depend on -j", "[cli]") {
    TempDir tmp;
    const auto f = write_json(tmp, "s.json", mixtral_search({{"metric", "usd_per_million_tokens"}}, json::object(), 3));
    const json one = search_json(tmp, f, (tmp / "1.sqlite").string(), {"-j", "1"});
    const json two = search_json(tmp, f, (tmp / "2.sqlite").string(), {"-j", "2"});
    CHECK(one.at("counts") == two.at("counts"));
    CHECK(answer(one) == answer(two));
}

TEST_CASE("search: why a runner-up loses is the difference of its figures from the best's", "[cli]") {
    TempDir tmp;
    const auto f = write_json(tmp, "s.json", mixtral_search({{"metric", "gpu_hours"}}, json::object(), 5));
    const json out = search_json(tmp, f, (tmp / "w.sqlite").string(), {});
    const json& top = out.at("top");
    REQUIRE(top.size() == 5);
    CHECK(top[0].at("why_it_loses").is_null());
    // The breakdowns, as stored, of the best and of each runner-up.
    const auto breakdown = [&](std::int64_t run) {
        std::map<std::string, double> b;
        for (const auto& row : query(tmp / "w.sqlite", "SELECT phase, category, seconds FROM breakdown WHERE run_id = " +
                                                           std::to_string(run)))
            b[row.at("phase") + "/" + row.at("category")] += std::stod(row.at("seconds"));
        return b;
    };
    const auto best = breakdown(top[0].at("run_id").get<std::int64_t>());
    for (std::size_t i = 1; i < top.size(); ++i) {
        const json& why = top[i].at("why_it_loses");
        INFO(why.dump());
        const double best_step = top[0].at("figures").at("step_time_s").get<double>();
        const double step = top[i].at("figures").at("step_time_s").get<double>();
        CHECK(why.at("step_time_delta_s").get<double>() == Approx(step - best_step));
        CHECK(why.at("objective_delta").get<double>() ==
              Approx(top[i].at("objective").get<double>() - top[0].at("objective").get<double>()));
        auto other = breakdown(top[i].at("run_id").get<std::int64_t>());
        double step_parts = 0;
        for (const auto& c : why.at("components")) {
            if (c.at("unit") != "s") continue;
            const std::string what = c.at("what");
            const double expected = (other.count(what) ? other.at(what) : 0.0) - (best.count(what) ? best.at(what) : 0.0);
            CHECK(c.at("delta").get<double>() == Approx(expected).margin(1e-9));
            step_parts += c.at("delta").get<double>();
        }
        CHECK(step_parts == Approx(step - best_step).margin(1e-6));  // the components add up to the step's difference
        // The text names the component that grew most, with its figure.
        const json& first = why.at("components").at(0);
        if (first.at("delta").get<double>() > 0.005)
            CHECK_THAT(why.at("text").get<std::string>(), Catch::Matchers::Contains(first.at("what").get<std::string>()));
    }
}

TEST_CASE("search: a bad search document is exit 2 naming the file and the JSON path with nothing written", "[cli]") {
    TempDir tmp;
    const auto db = tmp / "never.sqlite";
    const json good = mixtral_search({{"metric", "gpu_hours"}}, json::object(), 3);
    struct Case {
        std::string pointer;  // replaced in the good document
        json value;
        std::string path, says;
    };
    for (const Case& c : std::vector<Case>{
             {"/objective", json::object(), "/objective/metric", "required"},
             {"/objective", {{"metric", "gpu_hour"}}, "/objective/metric", "gpu_hours"},
             {"/objective", {{"metric", "gpu_hours"}, {"sense", "least"}}, "/objective/sense", "minimize"},
             {"/objective", {{"metric", "gpu_hours"}, {"goal", 1}}, "/objective/goal", "unknown key"},
             {"/constraints", {{"max_gpu", 8}}, "/constraints/max_gpu", "unknown key"},
             {"/constraints", {{"max_gpus", 0}}, "/constraints/max_gpus", "positive integer"},
             {"/constraints", {{"max_step_time_s", -1}}, "/constraints/max_step_time_s", "positive"},
             {"/constraints", {{"slo_met", "yes"}}, "/constraints/slo_met", "true or false"},
             {"/top", 0, "/top", "1 to 1000"},
             {"/objectives", 1, "/objectives", "unknown key"},
             {"/axes", json::array(), "/axes", "non-empty"}}) {
        json doc = good;
        doc[json::json_pointer(c.pointer)] = c.value;
        const auto f = write_json(tmp, "bad.json", doc);
        const auto r = run_moesim(tmp, "search", f, "--db", db.string());
        INFO(doc.dump() << "\nstderr: " << r.err);
        CHECK(r.exit_status == 2);
        CHECK_THAT(r.err, Catch::Matchers::Contains(at(f, c.path)) && Catch::Matchers::Contains(c.says));
        CHECK_FALSE(std::filesystem::exists(db));
    }
    // A serving objective or constraint that does not apply to the scenario.
    json serving = good;
    serving["scenario"] = source_path(kServeScenario);
    serving["axes"] = {{{"set", "/inference/decode/max_batch_per_gpu"}, {"values", {128, 256}}}};
    const auto f = write_json(tmp, "serve.json", serving);
    const auto r = run_moesim(tmp, "search", f, "--db", db.string());
    CHECK(r.exit_status == 2);
    CHECK_THAT(r.err, Catch::Matchers::Contains(at(f, "/objective/metric")) && Catch::Matchers::Contains("training objective"));
    CHECK_FALSE(std::filesystem::exists(db));
}
