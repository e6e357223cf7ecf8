// MoE load imbalance in the training costs: the slowest EP rank of the routing draw sets the
// routed experts' and the dispatch/combine time; uniform load stays close to the closed form.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "training_test_helpers.h"

using namespace training_test;
using moesim::training::MoeImbalance;

namespace {

json v3_with_load(const json& load) { return with(bundled_doc(kV3), "/training/moe/expert_load", load); }

double step_s(const json& doc) { return estimate(doc, false, bundled_path(kV3)).step_time_s; }

bool mentions(const TrainingResult& r, const std::string& text) {
    return std::any_of(r.assumptions.begin(), r.assumptions.end(),
                       [&](const std::string& a) { return a.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("uniform load: within 2% of the perfectly uniform closed form for V3, and above it", "[training]") {
    auto st = prepare_bundled(kV3);
    const MoeImbalance imb = st->moe_imbalance;  // a copy: reset below
    CHECK(imb.moe_layers == 59);  // 58 MoE layers + the MTP module's
    CHECK(imb.mean.rows > 1.0);
    CHECK(imb.mean.rows < 1.02);
    const auto drawn = analytic_step(*st);
    CHECK(mentions(drawn, "max/mean"));
    st->moe_imbalance = MoeImbalance{};  // every factor 1: the old perfectly uniform figure
    const auto ideal = analytic_step(*st);
    WARN("V3 uniform: drawn " << drawn.step_time_s << " s vs perfectly uniform " << ideal.step_time_s
                              << " s; rows max/mean " << imb.mean.rows << ", IB " << imb.mean.ib << ", NVLink "
                              << imb.mean.nvlink << "; drawing took " << imb.wall_s << " s");
    CHECK(drawn.step_time_s >= ideal.step_time_s);
    CHECK(drawn.step_time_s == Approx(ideal.step_time_s).epsilon(0.02));
}

TEST_CASE("skewed load: zipf and dirichlet steps are slower than uniform, more so as the skew grows", "[training]") {
    const double uniform = step_s(v3_with_load({{"kind", "uniform"}}));
    const double zipf05 = step_s(v3_with_load({{"kind", "zipf"}, {"alpha", 0.5}}));
    const double zipf1 = step_s(v3_with_load({{"kind", "zipf"}, {"alpha", 1.0}}));
    const double dir1 = step_s(v3_with_load({{"kind", "dirichlet"}, {"concentration", 1.0}}));
    CHECK(zipf05 >= uniform);
    CHECK(zipf1 > zipf05);
    CHECK(dir1 > uniform);
}

TEST_CASE("redundant experts (EPLB replicas) shorten a skewed step", "[training]") {
    auto doc = v3_with_load({{"kind", "zipf"}, {"alpha", 1.0}});
    const double plain = step_s(doc);
    const double eplb = step_s(with(doc, "/training/moe/redundant_experts", 64));
    CHECK(eplb < plain);
}

TEST_CASE("the event simulation sees the imbalance too", "[training]") {
    const auto uniform = prepare(v3_with_load({{"kind", "uniform"}}), false, bundled_path(kV3));
    const auto zipf = prepare(v3_with_load({{"kind", "zipf"}, {"alpha", 1.0}}), false, bundled_path(kV3));
    const auto u = event_step(*uniform);
    const auto z = event_step(*zipf);
    CHECK(z.step_time_s > u.step_time_s);
    CHECK(mentions(z, "max/mean"));
}

TEST_CASE("the routing draw is deterministic per seed", "[training]") {
    const auto doc = v3_with_load({{"kind", "dirichlet"}, {"concentration", 0.5}});
    const auto a = prepare(doc, false, bundled_path(kV3)), b = prepare(doc, false, bundled_path(kV3));
    REQUIRE(a->moe_imbalance.by_layer.size() == b->moe_imbalance.by_layer.size());
    for (std::size_t i = 0; i < a->moe_imbalance.by_layer.size(); ++i) {
        CHECK(a->moe_imbalance.by_layer[i].rows == b->moe_imbalance.by_layer[i].rows);
        CHECK(a->moe_imbalance.by_layer[i].ib == b->moe_imbalance.by_layer[i].ib);
    }
    const auto c = prepare(with(doc, "/seed", 2), false, bundled_path(kV3));
    CHECK(c->moe_imbalance.mean.rows != a->moe_imbalance.mean.rows);
}

TEST_CASE("a trace file with the wrong number of experts names its JSON path", "[training]") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / "moesim_moe_imbalance_test";
    fs::create_directories(dir);
    const auto file = (dir / "trace.csv").string();
    {
        std::ofstream f(file);
        f << "layer,expert,tokens\n";
        for (int e = 0; e < 128; ++e) f << "3," << e << ",10\n";
    }
    const auto doc = v3_with_load({{"kind", "trace"}, {"file", file}});
    try {
        prepare(doc, false, bundled_path(kV3));
        FAIL("accepted");
    } catch (const moesim::ScenarioError& e) {
        CHECK(e.json_path() == "/training/moe/expert_load/file");
        CHECK_THAT(e.message(), Catch::Contains("128 experts") && Catch::Contains("256"));
        CHECK(e.file() == bundled_path(kV3));
    }
    {
        std::ofstream f(file);
        f << "layer,expert,tokens\n";
        for (int e = 0; e < 256; ++e) f << "3," << e << "," << (e < 8 ? 1000 : 10) << "\n";
    }
    const auto st = prepare(doc, false, bundled_path(kV3));
    CHECK(st->moe_imbalance.by_layer.at(3).rows > 1.5);  // 8 hot experts on rank 0 and 1
    fs::remove_all(dir);
}

TEST_CASE("dense models and ep 1 carry no imbalance", "[training]") {
    const auto st = prepare(dense_doc());
    CHECK(st->moe_imbalance.moe_layers == 0);
    CHECK(mentions(analytic_step(*st), "no routed experts"));
}
