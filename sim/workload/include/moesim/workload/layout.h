#pragma once
// Where a model's layers and parameters sit under a parallel layout (TP, PP, EP, schedule).
//
// Pipeline stages ("model chunks"): the transformer layers are cut into stages; the
// embedding goes with the first stage, the final norm, LM head and MTP modules with the
// last. How many stages and which rank holds which depends on the schedule:
//   gpipe, 1f1b, zb1p    pp stages, rank i holds stage i
//   interleaved-1f1b     pp·v stages, rank i holds stages i, i+pp, …, i+(v−1)·pp (Megatron)
//   dualpipe             pp stages, rank i holds stages i and pp−1−i (two copies of
//                        parameters per rank; pp must be even) — DualPipe README
//   dualpipev            2·pp stages in a V, rank i holds stages i and 2·pp−1−i
// With DualPipe(V) rank 0 holds both the embedding and the head, which is how DeepSeek-V3
// shares them with its MTP module (V3TR §2.2). Under other schedules an MTP module on the
// last stage keeps its own copy of the embedding table.
#include <optional>
#include <vector>

#include "moesim/workload/model_accounting.h"
#include "moesim/workload/scenario.h"

namespace moesim::workload {

// Transformer layers per stage. With `override` (scenario /parallelism/stage_layers) it is
// checked — one non-negative count per stage, summing to the layers — and returned.
// Otherwise as even as possible: every stage gets ⌊L/S⌋ and the L mod S extra layers go to
// the middle stages 1, 2, …, S−2 in order, then to the first, then to the last, so that
// the stages that also carry the embedding and the LM head (+ MTP) get fewer layers:
//   61 over 16 -> 3, 4 ×13, 3, 3      126 over 16 -> 7, 8 ×14, 7 (Llama 3's split: "one
//   layer fewer on the first and last stages", L3 §3.3.2)
// Throws ScenarioError("", "/parallelism/stage_layers" or "/parallelism/pp", …).
std::vector<int> stage_layer_counts(int transformer_layers, int stages,
                                    const std::optional<std::vector<int>>& override = std::nullopt);

// Number of pipeline stages (model chunks) for a schedule, and the stages each of the pp
// ranks holds (see above). Throws ScenarioError for dualpipe with an odd pp.
int pipeline_stage_count(Schedule schedule, int pp, int virtual_stages);
std::vector<std::vector<int>> rank_stages(Schedule schedule, int pp, int virtual_stages);

// Parameters by where they sit under parallelism.
struct ParamCounts {
    double tensor_split = 0;      // projections, dense and shared-expert FFN: ÷ tp
    double vocab_split = 0;       // embedding, LM head: ÷ tp (vocab-parallel)
    double replicated = 0;        // norms, router
    double expert = 0;            // routed experts: ÷ ep
    double fp8_tensor_split = 0;  // of tensor_split: FP8 GEMM weights under the FP8 recipe
    double fp8_expert = 0;        // of expert: likewise
    double total() const { return tensor_split + vocab_split + replicated + expert; }
    ParamCounts& operator+=(const ParamCounts& o);
};
ParamCounts layer_params(const Layer& layer);

// One pipeline stage: a run of consecutive layers of ModelAccounting::layers.
struct Stage {
    int first_layer = 0;          // index of the first transformer layer
    int transformer_layers = 0;
    bool embedding = false, head = false, mtp = false;
    std::vector<const Layer*> layers;  // into the ModelAccounting it was built from
    ParamCounts params;
};
std::vector<Stage> pipeline_stages(const ModelAccounting& a, const std::vector<int>& counts);

// What one pipeline rank holds, before TP/EP/ZeRO sharding.
struct RankLayout {
    int rank = 0;
    std::vector<int> stages;
    int transformer_layers = 0;
    bool embedding = false, head = false, mtp = false;
    bool embedding_copy_for_mtp = false;  // MTP without the embedding on this rank
    ParamCounts params;
};

// The full pipeline layout for a scenario's parallelism (uses pp, schedule, virtual_stages,
// stage_layers).
struct PipelineLayout {
    std::vector<Stage> stages;
    std::vector<RankLayout> ranks;  // pp of them
};
PipelineLayout pipeline_layout(const ModelAccounting& a, const Parallelism& p);

// Parameters held by one GPU of a pipeline rank: non-expert weights split by TP (norms and
// router replicated), routed experts split over EP ranks (whole experts, no expert TP);
// non-expert parameters are replicated across the EP group.
struct RankParams {
    double non_expert = 0, expert = 0;
    double fp8_non_expert = 0, fp8_expert = 0;  // of which FP8 GEMM weights
    double total() const { return non_expert + expert; }
};
RankParams rank_share(const ParamCounts& params, int tp, int ep);

}  // namespace moesim::workload
