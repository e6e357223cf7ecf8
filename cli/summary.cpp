#include "summary.h"

#include <algorithm>
#include <iomanip>

#include "format.h"
#include "moesim/common/units.h"
#include "moesim/reports/run_status.h"

namespace moesim::cli {

namespace {

// Beside the memory line: what is left of the capacity the fit check allows, or by how much
// a layout run with --allow-memory-overflow is over it.
void print_memory_headroom(std::ostream& out, const training::TrainingResult& r) {
    if (r.memory_headroom_GB) out << "  headroom      " << report::describe(report::memory_verdict(r)) << "\n";
}

}  // namespace

void print_training_summary(std::ostream& out, const training::TrainingSetup& st, const training::TrainingResult& r) {
    const auto& s = st.scenario;
    const auto& p = s.parallelism;
    out << s.name << ": training " << st.model.model.name << " on " << s.cluster.gpus() << " x " << st.gpu.name << " ("
        << s.cluster.nodes << " nodes x " << s.cluster.gpus_per_node << "), " << to_string(s.training.precision)
        << ", fidelity " << r.fidelity << "\n";
    out << "  layout        TP" << p.tp << " PP" << p.pp << " DP" << p.dp << " EP" << p.ep << ", " << to_string(p.schedule)
        << ", ZeRO-" << p.zero_stage << ", " << st.micro_batches << " micro-batches of " << p.micro_batch_size << " x "
        << s.training.seq_len << " tokens per pipeline\n";
    out << "  step          " << fixed(r.step_time_s, 2) << " s for " << si(r.tokens_per_step) << " tokens  ("
        << si(r.tokens_per_s, 2) << " tokens/s, " << thousands(r.tokens_per_s_per_gpu) << " tokens/s per GPU)\n";
    out << "  MFU           " << percent(r.mfu) << " of the BF16 dense peak (" << fixed(st.gpu.bf16_dense_TFLOPS, 0)
        << " TFLOPS)";
    if (r.fp8_utilization > 0) out << "; " << percent(r.fp8_utilization) << " of the FP8 peak";
    out << "; " << fixed(r.model_flops_per_token / 1e9, 1) << " GFLOP per token\n";
    out << "  bubble        " << percent(r.bubble_fraction) << " of the step\n";
    out << "  exposed comm  EP " << fixed(r.exposed_comm.ep_s, 2) << " s, PP " << fixed(r.exposed_comm.pp_s, 2) << " s, DP "
        << fixed(r.exposed_comm.dp_s, 2) << " s, TP " << fixed(r.exposed_comm.tp_s, 2) << " s per step\n";
    if (!r.traffic.empty()) {
        out << "  network flows every collective on the topology; per traffic class, alone (closed form) vs "
               "achieved, summed over the step:\n";
        for (const auto& c : r.traffic) {
            if (c.instances == 0) continue;
            out << "    " << std::left << std::setw(12) << c.name << std::right << std::setw(8) << thousands(c.instances)
                << "  ideal " << std::setw(9) << fixed(c.ideal_s, 3) << " s  achieved " << std::setw(9)
                << fixed(c.achieved_s, 3) << " s  x" << fixed(c.slowdown(), 3) << "  (worst x" << fixed(c.worst_slowdown, 2)
                << ", " << thousands(c.slowed) << " slowed >1%)\n";
        }
    }
    out << "  memory        " << fixed(r.peak_memory_GB, 1) << " GB per GPU at the peak, of "
        << fixed(st.gpu.hbm_bytes / units::kGB, 1) << " GB\n";
    print_memory_headroom(out, r);
    out << "  whole run     " << si(s.training.total_tokens, 2) << " tokens: " << thousands(r.gpu_hours) << " GPU-hours, $"
        << thousands(r.cost_usd) << " at $" << fixed(s.cluster.gpu_hour_usd, 2) << "/GPU-hour, $"
        << fixed(r.usd_per_million_tokens, 4) << " per 1M tokens, " << fixed(r.wall_days, 1) << " days\n";
    out << "                " << thousands(r.gpu_hours / (s.training.total_tokens / 1e12))
        << " GPU-hours per trillion tokens\n";
    out << "  where a step goes (" << (r.fidelity == "full" ? "the busiest GPU" : "critical pipeline rank") << "):\n";
    std::vector<training::BreakdownEntry> entries = r.breakdown;
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
    for (const auto& e : entries)
        out << "    " << std::left << std::setw(16) << e.phase << std::setw(20) << e.category << std::right << std::setw(9)
            << fixed(e.seconds, 3) << " s  " << std::setw(6) << percent(e.seconds / r.step_time_s) << "\n";
    if (!r.phases.empty()) {
        out << "  the step by schedule phase:\n";
        for (const auto& e : r.phases)
            out << "    " << std::left << std::setw(20) << e.phase << std::setw(22) << e.part << std::right << std::setw(9)
                << fixed(e.seconds, 3) << " s  " << std::setw(6) << percent(e.seconds / r.step_time_s) << "\n";
    }
    out << "  assumptions:\n";
    for (const auto& a : r.assumptions) out << "    - " << a << "\n";
}

}  // namespace moesim::cli
