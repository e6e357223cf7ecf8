// prepare_training's checks that need the model or the GPU: each names the scenario file
// and the JSON path of the value to change, and shows the numbers it compared.
#include <cstdio>
#include <initializer_list>

#include "moesim/hw/gpu_spec.h"
#include "training_test_helpers.h"

using namespace training_test;

namespace {

// `doc` is rejected by prepare_training at `path` with a message containing each of `parts`.
void require_rejected(const json& doc, const std::string& path, std::initializer_list<std::string> parts) {
    const auto e = prepare_error(doc);
    INFO("error: " << e.what());
    CHECK(e.file() == "test.json");
    CHECK(e.json_path() == path);
    for (const auto& part : parts) CHECK_THAT(e.message(), Catch::Contains(part));
}

// Mixtral 8x7B (8 experts, 32 heads) on one node of 8 H100: dp 8, ep 8.
json moe_doc() {
    auto doc = with(dense_doc(), "/model", "mixtral-8x7b");
    doc = with(doc, "/cluster/nodes", 1);
    doc = with(doc, "/parallelism/pp", 1);
    doc = with(doc, "/parallelism/dp", 8);
    doc = with(doc, "/parallelism/ep", 8);
    doc = with(doc, "/parallelism/stage_layers", nullptr);
    return doc;
}

}  // namespace

TEST_CASE("the test scenarios are accepted", "[training]") {
    CHECK_NOTHROW(prepare(dense_doc()));
    CHECK_NOTHROW(prepare(moe_doc(), true));
}

TEST_CASE("prepare_training: tp must divide the attention heads", "[training]") {
    // 32 heads; tp 3 on one node of 6 GPUs (tp*pp*dp = 3*1*2).
    auto doc = with(dense_doc(), "/cluster/nodes", 1);
    doc = with(doc, "/cluster/gpus_per_node", 6);
    doc = with(doc, "/parallelism/tp", 3);
    doc = with(doc, "/parallelism/pp", 1);
    doc = with(doc, "/parallelism/dp", 2);
    doc = with(doc, "/parallelism/stage_layers", nullptr);
    doc = with(doc, "/training/global_batch_size", 2);
    require_rejected(doc, "/parallelism/tp", {"3", "32 attention heads", "llama-3.1-8b"});
}

TEST_CASE("prepare_training: ep must divide the routed experts (plus redundant ones)", "[training]") {
    // 8 experts over ep 16 (2 nodes, dp 16).
    auto doc = with(moe_doc(), "/cluster/nodes", 2);
    doc = with(doc, "/parallelism/dp", 16);
    doc = with(doc, "/parallelism/ep", 16);
    require_rejected(doc, "/parallelism/ep", {"16", "8 routed experts", "mixtral-8x7b"});
    // 8 redundant replicas make 16 slots, one per GPU of the EP group.
    const auto redundant = with(doc, "/training/moe/redundant_experts", 8);
    CHECK_NOTHROW(prepare(redundant, true));
    require_rejected(with(doc, "/training/moe/redundant_experts", 4), "/parallelism/ep", {"plus 4 redundant"});
}

TEST_CASE("prepare_training: a dense model takes no expert parallelism", "[training]") {
    require_rejected(with(dense_doc(), "/parallelism/ep", 2), "/parallelism/ep", {"dense model", "ep 1"});
    require_rejected(with(dense_doc(), "/training/moe/redundant_experts", 2), "/training/moe/redundant_experts",
                     {"dense model"});
}

TEST_CASE("prepare_training: no more pipeline stages than layers", "[training]") {
    // 32 layers over pp 64 (8 nodes, one GPU per stage).
    auto doc = with(dense_doc(), "/cluster/nodes", 8);
    doc = with(doc, "/parallelism/pp", 64);
    doc = with(doc, "/parallelism/dp", 1);
    doc = with(doc, "/parallelism/stage_layers", nullptr);
    require_rejected(doc, "/parallelism/pp", {"64 pipeline stages", "32 layers"});
    // Interleaving multiplies the stages: pp 4 x 16 virtual stages = 64.
    auto interleaved = with(dense_doc(), "/parallelism/schedule", "interleaved-1f1b");
    interleaved = with(interleaved, "/parallelism/virtual_stages", 16);
    interleaved = with(interleaved, "/parallelism/stage_layers", nullptr);
    require_rejected(interleaved, "/parallelism/pp", {"64 pipeline stages", "32 layers"});
    // Exactly one layer per stage is fine.
    CHECK_NOTHROW(prepare(with(interleaved, "/parallelism/virtual_stages", 8), true));
}

TEST_CASE("prepare_training: the schedule's layout rules, for every fidelity", "[training]") {
    // pp 4, dp 4: micro-batches = global_batch_size / 4. Interleaving runs them in groups of pp.
    auto interleaved = with(dense_doc(), "/parallelism/schedule", "interleaved-1f1b");
    interleaved = with(interleaved, "/parallelism/virtual_stages", 2);
    interleaved = with(interleaved, "/parallelism/stage_layers", nullptr);
    CHECK_NOTHROW(prepare(interleaved));  // 16 micro-batches
    require_rejected(with(interleaved, "/training/global_batch_size", 24), "/training/global_batch_size",
                     {"schedule \"interleaved-1f1b\"", "multiple of 4", "got 6"});
    CHECK_NOTHROW(prepare(with(interleaved, "/training/global_batch_size", 32)));  // 8 micro-batches
}

TEST_CASE("prepare_training: comm_sms must leave SMs for computation", "[training]") {
    // The H100 has 132 SMs.
    require_rejected(with(dense_doc(), "/parallelism/comm_sms", 132), "/parallelism/comm_sms", {"132", "H100"});
    require_rejected(with(dense_doc(), "/parallelism/comm_sms", 500), "/parallelism/comm_sms", {"500"});
    CHECK_NOTHROW(prepare(with(dense_doc(), "/parallelism/comm_sms", 131)));
    // An override of the SM count moves the bound.
    auto fewer = with(dense_doc(), "/cluster/gpu_overrides/sm_count", 100);
    require_rejected(with(fewer, "/parallelism/comm_sms", 100), "/parallelism/comm_sms", {"100"});
}

TEST_CASE("prepare_training: unknown GPU or model", "[training]") {
    require_rejected(with(dense_doc(), "/cluster/gpu", "B300X"), "/cluster/gpu", {"B300X"});
    require_rejected(with(dense_doc(), "/model", "llama-9-8b"), "/model", {"llama-9-8b"});
}

TEST_CASE("prepare_training: a layout that does not fit in memory", "[training]") {
    // Llama 3.1 70B on one node, pp 1, dp 8: ~70e9 x (2 + 4 + 12/8) bytes of state alone.
    auto doc = with(dense_doc(), "/model", "llama-3.1-70b");
    doc = with(doc, "/cluster/nodes", 1);
    doc = with(doc, "/parallelism/pp", 1);
    doc = with(doc, "/parallelism/dp", 8);
    doc = with(doc, "/parallelism/stage_layers", nullptr);
    const auto h100 = moesim::hw::load_gpu("H100", "", json::object());
    char capacity[32];
    std::snprintf(capacity, sizeof capacity, "%.1f GB", h100.hbm_bytes / 1e9);
    require_rejected(doc, "/parallelism", {"H100 has " + std::string(capacity)});

    const auto accepted = prepare(doc, true);
    CHECK_FALSE(accepted->memory.fits);
    CHECK(accepted->memory.needed_bytes > h100.hbm_bytes);
    CHECK(accepted->memory.needed_bytes > 70e9 * 7.5);  // weights, FP32 gradients, 1/8 of Adam
    const auto r = analytic_step(*accepted);
    CHECK(r.peak_memory_GB > 80);
    // A larger HBM (an override) makes it fit.
    CHECK_NOTHROW(prepare(with(doc, "/cluster/gpu_overrides/hbm_bytes", 2e12)));
}
