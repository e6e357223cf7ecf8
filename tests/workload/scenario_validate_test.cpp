// Scenario schema 1: layouts that must divide, schedules' needs, serving pools that must fit.
#include "scenario_test_helpers.h"

using namespace scenario_test;
using namespace moesim::workload;

namespace {

// DeepSeek-V3's layout: 2048 GPUs as PP16 x DP128, EP64.
json v3_layout() {
    auto doc = training_doc();
    doc["cluster"]["nodes"] = 256;
    doc["parallelism"] = {{"tp", 1}, {"pp", 16}, {"dp", 128}, {"ep", 64}, {"schedule", "dualpipe"}};
    doc["training"]["global_batch_size"] = 15360;
    return doc;
}

}  // namespace

TEST_CASE("tp*pp*dp must equal the cluster's GPUs", "[workload]") {
    CHECK_NOTHROW(parse(v3_layout()));
    require_rejected(with(v3_layout(), "/parallelism/dp", 64), "/parallelism",
                     {"tp*pp*dp = 1*16*64 = 1024", "nodes*gpus_per_node = 256*8 = 2048 GPUs"});
    require_rejected(with(training_doc(), "/cluster/gpus_per_node", 4), "/parallelism", {"= 32", "4*4 = 16 GPUs"});
}

TEST_CASE("ep must divide tp*dp", "[workload]") {
    const auto e = error_of(with(v3_layout(), "/parallelism/ep", 48));
    CHECK(e.json_path() == "/parallelism/ep");
    CHECK(e.message() == "48 does not divide tp*dp = 128");
    CHECK_NOTHROW(parse(with(v3_layout(), "/parallelism/ep", 128)));
    require_rejected(with(v3_layout(), "/parallelism/ep", 256), "/parallelism/ep", {"256 does not divide"});
}

TEST_CASE("the global batch must split into whole micro-batches", "[workload]") {
    require_rejected(with(v3_layout(), "/training/global_batch_size", 15361), "/training/global_batch_size",
                     {"15361 is not divisible by dp*micro_batch_size = 128*1 = 128"});
    auto doc = with(training_doc(), "/parallelism/micro_batch_size", 2);
    doc = with(doc, "/training/global_batch_size", 136);  // 136 / 16 = 8.5
    require_rejected(doc, "/training/global_batch_size", {"136", "8*2 = 16"});
    // Fewer sequences than data-parallel ranks cannot be whole micro-batches either.
    require_rejected(with(training_doc(), "/training/global_batch_size", 4), "/training/global_batch_size",
                     {"4 is not divisible"});
}

TEST_CASE("DualPipe needs an even pp and 2*pp micro-batches, an even number of them", "[workload]") {
    auto odd = with(training_doc(), "/parallelism/pp", 1);
    odd = with(odd, "/parallelism/dp", 32);
    odd = with(odd, "/parallelism/ep", 32);
    require_rejected(odd, "/parallelism/pp", {"schedule \"dualpipe\" needs an even pp, got 1"});

    require_rejected(with(training_doc(), "/training/global_batch_size", 48), "/training/global_batch_size",
                     {"at least 2*pp = 8 micro-batches", "got 6 (48 / 8)"});
    require_rejected(with(training_doc(), "/training/global_batch_size", 72), "/training/global_batch_size",
                     {"even number of micro-batches", "got 9 (72 / 8)"});
    CHECK(parse(with(training_doc(), "/training/global_batch_size", 80)).micro_batches() == 10);
}

TEST_CASE("DualPipeV needs 2*pp micro-batches", "[workload]") {
    auto doc = with(training_doc(), "/parallelism/schedule", "dualpipev");
    CHECK_NOTHROW(parse(with(doc, "/training/global_batch_size", 72)));  // odd counts are fine
    require_rejected(with(doc, "/training/global_batch_size", 56), "/training/global_batch_size",
                     {"schedule \"dualpipev\"", "at least 2*pp = 8", "got 7 (56 / 8)"});
}

TEST_CASE("DualPipeV's stage_layers has one entry per stage of its V, 2*pp", "[workload]") {
    const auto doc = with(training_doc(), "/parallelism/schedule", "dualpipev");  // pp 4
    const auto v = parse(with(doc, "/parallelism/stage_layers", json::array({8, 8, 8, 8, 8, 7, 7, 7})));
    CHECK(v.parallelism.stage_layers->size() == 8);
    require_rejected(with(doc, "/parallelism/stage_layers", json::array({16, 15, 15, 15})), "/parallelism/stage_layers",
                     {"has 4 entries", "dualpipev's 2*pp = 2*4 = 8"});
}

TEST_CASE("1F1B-family schedules need one micro-batch", "[workload]") {
    for (const char* schedule : {"gpipe", "1f1b", "zb1p"}) {
        SECTION(schedule) {
            auto doc = with(training_doc(), "/parallelism/schedule", schedule);
            CHECK(parse(with(doc, "/training/global_batch_size", 8)).micro_batches() == 1);
        }
    }
}

TEST_CASE("the DeepSeek-V3 serving deployment parses", "[workload]") {
    const Scenario s = parse(inference_doc());
    CHECK(s.mode == Mode::Inference);
    CHECK(s.inference.deployment == Deployment::Disaggregated);
    CHECK(s.inference.precision.weights == Precision::FP8);
    CHECK(s.inference.precision.kv_cache == Precision::BF16);
    CHECK(s.inference.prefill.nodes == 4);
    CHECK(s.inference.prefill.max_batch_tokens == 16384);
    CHECK(s.inference.decode.ep == 320);
    CHECK(s.inference.decode.max_batch_per_gpu == 256);
    CHECK(s.inference.decode.mtp.draft_tokens == 1);
    CHECK(s.inference.decode.mtp.acceptance == 0.85);
    CHECK(s.inference.traffic.arrival == Arrival::Poisson);
    CHECK(s.inference.traffic.input_tokens.mean == 2000);
    CHECK(s.inference.traffic.output_tokens.sigma == 0.8);
    CHECK(s.inference.slo.tpot_p99_ms == 50);
}

TEST_CASE("serving pools must fit the cluster", "[workload]") {
    require_rejected(with(inference_doc(), "/cluster/nodes", 43), "/inference",
                     {"disaggregated", "4*1 + 40*1 = 44 nodes", "the cluster has 43"});
    require_rejected(with(inference_doc(), "/inference/prefill/instances", 2), "/inference", {"= 48 nodes"});
    auto colocated = with(inference_doc(), "/inference/deployment", "colocated");
    colocated = with(colocated, "/cluster/nodes", 40);
    CHECK_NOTHROW(parse(colocated));
    require_rejected(with(colocated, "/cluster/nodes", 39), "/inference", {"max(4*1, 40*1) = 40 nodes"});
}

TEST_CASE("attn_tp and ep must divide an instance's GPUs", "[workload]") {
    require_rejected(with(inference_doc(), "/inference/prefill/attn_tp", 3), "/inference/prefill/attn_tp",
                     {"3 does not divide the 32 GPUs of a prefill instance"});
    require_rejected(with(inference_doc(), "/inference/decode/ep", 48), "/inference/decode/ep",
                     {"48 does not divide the 320 GPUs of a decode instance"});
    require_rejected(with(inference_doc(), "/inference/decode/instances", 0), "/inference/decode/instances",
                     {"must be a positive integer, got 0"});
}

TEST_CASE("serving probabilities, distributions and arrivals", "[workload]") {
    require_rejected(with(inference_doc(), "/inference/decode/mtp/acceptance", 1.5), "/inference/decode/mtp/acceptance",
                     {"between 0 and 1, got 1.5"});
    auto traffic = [](const json& t) { return with(inference_doc(), "/inference/traffic", t); };
    require_rejected(traffic({{"prefix_cache_hit_rate", -0.1}}), "/inference/traffic/prefix_cache_hit_rate",
                     {"got -0.1"});
    require_rejected(traffic({{"requests_per_s", 0}}), "/inference/traffic/requests_per_s", {"must be > 0"});
    require_rejected(traffic({{"input_tokens", {{"dist", "lognormal"}, {"mean", 2000}, {"sigma", 0}}}}),
                     "/inference/traffic/input_tokens/sigma", {"must be > 0, got 0"});
    require_rejected(traffic({{"input_tokens", {{"dist", "normal"}}}}), "/inference/traffic/input_tokens/dist",
                     {"\"lognormal\", \"fixed\", \"uniform\""});

    const Scenario fixed = parse(traffic({{"output_tokens", {{"dist", "fixed"}, {"mean", 300}}}}));
    CHECK(fixed.inference.traffic.output_tokens.dist == LengthDist::Fixed);
    CHECK(fixed.inference.traffic.output_tokens.mean == 300);
    require_rejected(traffic({{"output_tokens", {{"dist", "fixed"}, {"sigma", 1}}}}),
                     "/inference/traffic/output_tokens/sigma", {"dist \"lognormal\""});

    const Scenario uniform = parse(traffic({{"input_tokens", {{"dist", "uniform"}, {"min", 100}, {"max", 300}}}}));
    CHECK(uniform.inference.traffic.input_tokens.mean == 200);
    require_rejected(traffic({{"input_tokens", {{"dist", "uniform"}, {"min", 300}, {"max", 100}}}}),
                     "/inference/traffic/input_tokens/max", {"must be >= min = 300, got 100"});
    require_rejected(traffic({{"input_tokens", {{"dist", "uniform"}, {"mean", 300}}}}),
                     "/inference/traffic/input_tokens/mean", {"uniform\" takes min and max"});

    require_rejected(traffic({{"arrival", "trace"}}), "/inference/traffic/trace_file", {"missing required key"});
    CHECK(parse(traffic({{"arrival", "trace"}, {"trace_file", "reqs.csv"}})).inference.traffic.trace_file ==
          "reqs.csv");
    require_rejected(traffic({{"arrival", "trace"}, {"trace_file", "reqs.csv"}, {"requests_per_s", 5}}),
                     "/inference/traffic/requests_per_s", {"trace file gives it"});
    require_rejected(traffic({{"trace_file", "reqs.csv"}}), "/inference/traffic/trace_file",
                     {"arrival \"trace\", not \"poisson\""});
}

TEST_CASE("the section of the other mode is validated when present", "[workload]") {
    // A training file that also carries a serving deployment too big for its 4 nodes.
    auto both = training_doc();
    both["inference"] = inference_doc()["inference"];
    require_rejected(both, "/inference", {"the cluster has 4"});
    // An inference file with a training section whose layout does not match.
    auto serve = inference_doc();
    serve["training"] = training_doc()["training"];
    require_rejected(serve, "/parallelism", {"tp*pp*dp = 1*1*1 = 1"});
    // parallelism without training in inference mode would be silently ignored: rejected.
    require_rejected(with(inference_doc(), "/parallelism", {{"tp", 4}}), "/parallelism",
                     {"only used when mode is \"training\""});
}
