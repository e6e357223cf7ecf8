// The rule table naming a trace's kernels (calibrate/trace_rules.h) and the summary by class
// (trace_summary.h): bundled rules on the fixture, a user's rules overriding them, kernels no
// rule names listed with their time, malformed rule files.
#include <catch2/catch.hpp>

#include <fstream>
#include <numeric>

#include <nlohmann/json.hpp>

#include "moesim/calib/trace_reader.h"
#include "moesim/calib/trace_rules.h"
#include "moesim/calib/trace_summary.h"
#include "moesim/common/error.h"
#include "moesim/common/input_file.h"
#include "run_moesim.h"

using moesim::CalibrationError;
using namespace moesim::calib;
using moesim::test::source_path;
using moesim::test::TempDir;
using Catch::Contains;
using nlohmann::json;

namespace {

const std::string kFixture = "tests/calibrate/fixtures/deepseek-v3-pair-1layer.json";

double total_us(const Trace& t) {
    double s = 0;
    for (const auto& k : t.kernels) s += k.dur_us;
    return s;
}

std::string write(const TempDir& tmp, const std::string& name, const json& j) {
    const auto p = tmp / name;
    std::ofstream(p) << j.dump(2);
    return p.string();
}

json rules_doc(json rules) { return {{"format", 1}, {"kind", "moesim-trace-rules"}, {"rules", std::move(rules)}}; }

}  // namespace

TEST_CASE("the bundled rules name the fixture's kernels — nothing is dropped", "[calibrate]") {
    const Trace t = read_trace(source_path(kFixture));
    const TraceSummary s = summarize(t, RuleTable::bundled());
    double classified = 0;
    for (const auto& c : s.classes) classified += c.time_us;
    CHECK(classified + s.unclassified_us() == Approx(total_us(t)).epsilon(1e-12));
    // One layer of each chunk: one forward and one backward attention kernel.
    CHECK(s.forward_layers == 1);
    CHECK(s.backward_layers == 1);
    // Every model class the fit uses appears in one layer of each chunk of DeepSeek's step.
    for (ModelClass c : {ModelClass::GemmFp8, ModelClass::GroupedGemmFp8, ModelClass::GemmWgrad, ModelClass::GemmBf16,
                         ModelClass::AttentionFwd, ModelClass::AttentionBwd, ModelClass::MemoryBound,
                         ModelClass::DeepEpDispatch, ModelClass::DeepEpCombine, ModelClass::None}) {
        INFO(to_string(c));
        CHECK(s.model_time_us(c) > 0);
    }
    // The communication stream is the one running DeepEP.
    const auto comm = std::count_if(s.streams.begin(), s.streams.end(), [](const auto& st) { return st.communication; });
    CHECK(comm == 1);
    CHECK(s.compute_busy_us > 0);
    CHECK(s.compute_busy_us <= s.span_us);
}

TEST_CASE("rules are tried in order: the first that matches names the kernel", "[calibrate]") {
    const RuleTable r = RuleTable::bundled();
    const std::string pre = "void cutlass::device_kernel<flash::FlashAttnBwdPreprocess<cute::tuple<cute::C<64>>>>(x)";
    const std::string main = "void cutlass::device_kernel<flash::FlashAttnBwd<flash::CollectiveMainloopBwd<2>>>(x)";
    REQUIRE(r.match(pre) != nullptr);
    REQUIRE(r.match(main) != nullptr);
    CHECK(r.match(pre)->klass == "attention_bwd_aux");
    CHECK(r.match(pre)->layer == LayerMark::None);
    CHECK(r.match(main)->klass == "attention_bwd");
    CHECK(r.match(main)->layer == LayerMark::Backward);
    // A fused SwiGLU-and-cast kernel is SwiGLU, not a cast.
    CHECK(r.match("void cuda::swiglu_and_per_channel_cast_and_transpose<bf16>(x)")->klass == "swiglu");
    CHECK(r.match("an unheard-of kernel") == nullptr);
}

TEST_CASE("a user's rules file overrides a bundled rule and names unknown kernels", "[calibrate]") {
    TempDir tmp;
    const auto file = write(tmp, "rules.json", rules_doc(json::array({
        {{"class", "my_dense_gemm"}, {"contains", "fp8_ptp128c"}, {"model", "gemm_fp8"}, {"note", "mine"}},
        {{"class", "mystery"}, {"regex", "^mystery_k[0-9]+$"}, {"model", "none"}},
    })));
    const RuleTable r = RuleTable::bundled().with_overrides(RuleTable::read(file));
    const std::string dense = "void cutlass::device_kernel<dpsk::grouped_gemm::cuda::fp8_ptp128c::GemmKernel>(P)";
    CHECK(RuleTable::bundled().match(dense)->klass == "gemm_fp8");
    CHECK(r.match(dense)->klass == "my_dense_gemm");
    CHECK(r.match(dense)->origin == file);
    CHECK(r.match("mystery_k12")->klass == "mystery");
    CHECK(r.match("mystery_k12x") == nullptr);
    // Bundled rules still apply after the user's.
    CHECK(r.match("void layer_norm::ln_fwd_kernel<float>(p)")->klass == "norm");
}

TEST_CASE("kernels no rule names are listed with their count and time", "[calibrate]") {
    TempDir tmp;
    const auto path = tmp / "t.json";
    std::ofstream(path) << R"J({"traceEvents": [
      {"ph": "X", "cat": "kernel", "name": "mystery_kernel", "ts": 0, "dur": 5, "args": {"stream": 7}},
      {"ph": "X", "cat": "kernel", "name": "void layer_norm::ln_fwd_kernel<f>(p)", "ts": 5, "dur": 3, "args": {"stream": 7}},
      {"ph": "X", "cat": "kernel", "name": "mystery_kernel", "ts": 8, "dur": 7, "args": {"stream": 7}},
      {"ph": "X", "cat": "kernel", "name": "other_mystery", "ts": 20, "dur": 1, "args": {"stream": 9}}]})J";
    const TraceSummary s = summarize(read_trace(path.string()), RuleTable::bundled());
    REQUIRE(s.unclassified.size() == 2);
    CHECK(s.unclassified[0].name == "mystery_kernel");
    CHECK(s.unclassified[0].count == 2);
    CHECK(s.unclassified[0].time_us == Approx(12.0));
    CHECK(s.unclassified[1].name == "other_mystery");
    CHECK(s.unclassified_us() == Approx(13.0));
    REQUIRE(s.classes.size() == 1);
    CHECK(s.classes[0].klass == "norm");
    CHECK(s.span_us == Approx(21.0));
}

TEST_CASE("a malformed rules file is refused naming the file and the JSON path", "[calibrate]") {
    TempDir tmp;
    const auto unknown_key = write(tmp, "a.json", rules_doc(json::array({{{"class", "x"}, {"contains", "y"}, {"model", "none"}, {"colour", 1}}})));
    CHECK_THROWS_WITH(RuleTable::read(unknown_key), Contains(unknown_key + ": /rules/0/colour"));
    const auto bad_regex = write(tmp, "b.json", rules_doc(json::array({{{"class", "x"}, {"regex", "(unclosed"}, {"model", "none"}}})));
    CHECK_THROWS_WITH(RuleTable::read(bad_regex), Contains(bad_regex + ": /rules/0/regex"));
    const auto bad_model = write(tmp, "c.json", rules_doc(json::array({{{"class", "x"}, {"contains", "y"}, {"model", "gemm_fp4"}}})));
    CHECK_THROWS_WITH(RuleTable::read(bad_model), Contains(bad_model + ": /rules/0/model") && Contains("gemm_fp8"));
    const auto both = write(tmp, "d.json", rules_doc(json::array({{{"class", "x"}, {"contains", "y"}, {"regex", "y"}, {"model", "none"}}})));
    CHECK_THROWS_WITH(RuleTable::read(both), Contains(both + ": /rules/0") && Contains("exactly one"));
    CHECK_THROWS_AS(RuleTable::read((tmp / "missing.json").string()), moesim::InputFileError);
}
