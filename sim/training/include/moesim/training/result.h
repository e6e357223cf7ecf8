#pragma once
// The typed result of one training simulation (DESIGN.md §4, §6). Field names match the
// SQLite columns and the `--json` keys.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moesim::training {

struct BreakdownEntry {
    std::string phase;     // "forward", "backward", "optimizer", "idle", …
    std::string category;  // "attention", "ep_all_to_all", "bubble", …
    double seconds = 0;    // per optimizer step, on the critical rank

    friend bool operator==(const BreakdownEntry&, const BreakdownEntry&) = default;
};

// One row of the step by schedule phase (step_phases.h): warmup_forward, steady_pairs,
// cooldown_backward, weight_grad_tail, bubble, and the optimizer step's parts
// (phase "optimizer", part grad_norm_all_reduce, clip, adam, dp_exposed). They add up to
// step_time_s. Not stored in SQLite: a run read back has none.
struct PhaseEntry {
    std::string phase;
    std::string part;     // "" but for the optimizer's parts
    double seconds = 0;

    friend bool operator==(const PhaseEntry&, const PhaseEntry&) = default;
};

struct ExposedComm {
    double ep_s = 0, pp_s = 0, dp_s = 0, tp_s = 0;

    friend bool operator==(const ExposedComm&, const ExposedComm&) = default;
};

// One traffic class under `--network flows` (full fidelity): its collectives' durations alone
// by the closed form (ideal) and as achieved sharing the fabric and its faults, summed over the
// step's instances (docs/STEP_FLOWS.md). Classes: ep_dispatch, ep_combine, pp, dp_rs, dp_ag, tp.
struct TrafficClassFigures {
    std::string name;
    std::int64_t instances = 0;
    double ideal_s = 0, achieved_s = 0;
    double worst_slowdown = 1.0;  // max over its instances of achieved / ideal
    std::int64_t slowed = 0;      // instances more than 1% over their ideal
    double slowdown() const { return ideal_s > 0 ? achieved_s / ideal_s : 1.0; }
    friend bool operator==(const TrafficClassFigures&, const TrafficClassFigures&) = default;
};

struct TrainingResult {
    std::string fidelity;            // "analytic", "event" or "full" (fidelity.h)
    double step_time_s = 0;
    double tokens_per_step = 0;
    double tokens_per_s = 0;
    double tokens_per_s_per_gpu = 0;
    double model_flops_per_token = 0;  // 6 × active params + causal attention (DESIGN §6)
    double mfu = 0;                    // against the dense BF16 peak, whatever the precision
    double fp8_utilization = 0;        // against the dense FP8 peak (0 for BF16 runs)
    double bubble_fraction = 0;
    ExposedComm exposed_comm;
    double peak_memory_GB = 0;
    // The GPU memory the fit check allows (workload::MemoryEstimate::available_bytes) minus the
    // peak, in peak_memory_GB's unit: negative for a layout simulated with
    // --allow-memory-overflow that does not fit, and then over_memory is true. nullopt only in
    // a run read back from a database written before these were stored (schema 3).
    std::optional<double> memory_headroom_GB;
    std::optional<bool> over_memory;
    double gpu_hours = 0;              // for training.total_tokens
    double cost_usd = 0;
    double usd_per_million_tokens = 0;
    double wall_days = 0;
    std::vector<BreakdownEntry> breakdown;
    std::vector<PhaseEntry> phases;        // the step by schedule phase (empty when read back)
    std::vector<std::string> assumptions;  // named in the output (issue 2, item 6)
    // --network flows only (empty otherwise): every traffic class, in the order above.
    std::vector<TrafficClassFigures> traffic;

    // Every field equal (doubles bit for bit, up to -0 == 0): the determinism check.
    friend bool operator==(const TrainingResult&, const TrainingResult&) = default;
};

}  // namespace moesim::training
