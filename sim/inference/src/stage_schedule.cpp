// The two-stream list schedule of decode micro-batches (stage_schedule.h).
#include "moesim/inference/stage_schedule.h"

#include <algorithm>
#include <cstddef>

#include "moesim/common/error.h"

namespace moesim::inference {

double two_stream_makespan_s(const std::vector<Stage>& chain, int micro_batches) {
    MOESIM_CHECK(micro_batches >= 1, "at least one micro-batch");
    const auto m = static_cast<std::size_t>(micro_batches);
    std::vector<std::size_t> next(m, 0);
    std::vector<double> ready(m, 0.0);  // when micro-batch b's next stage may start
    double free_at[2] = {0.0, 0.0};     // compute, communication
    double end = 0;
    for (;;) {
        std::size_t pick = m;
        double pick_start = 0;
        bool pick_feeds = false;
        for (std::size_t b = 0; b < m; ++b) {
            if (next[b] == chain.size()) continue;
            const Stage& s = chain[next[b]];
            const double start = std::max(ready[b], free_at[s.comm ? 1 : 0]);
            // Ties: a compute stage whose next stage communicates (keep that stream fed), then
            // the micro-batch furthest behind, then the first.
            const bool feeds = !s.comm && next[b] + 1 < chain.size() && chain[next[b] + 1].comm;
            const bool better = pick == m || start < pick_start ||
                                (start == pick_start && ((feeds && !pick_feeds) ||
                                                         (feeds == pick_feeds && next[b] < next[pick])));
            if (better) {
                pick = b;
                pick_start = start;
                pick_feeds = feeds;
            }
        }
        if (pick == m) return end;
        const Stage& s = chain[next[pick]++];
        MOESIM_CHECK(s.seconds >= 0, "a stage of negative length");
        const double finish = pick_start + s.seconds;
        free_at[s.comm ? 1 : 0] = finish;
        ready[pick] = finish;
        end = std::max(end, finish);
    }
}

void append_moe_layer(std::vector<Stage>& chain, int overlap_stages, double attention_side_s, double dispatch_s,
                      double experts_s, double combine_s) {
    MOESIM_CHECK(overlap_stages >= 4 && overlap_stages <= kMaxOverlapStages, "overlap_stages of a MoE layer: 4 to 16");
    const int steps = overlap_stages - 3;
    const auto add = [&](bool comm, double s) {
        if (s > 0) chain.push_back({comm, s});
    };
    for (int i = 0; i < steps; ++i) add(false, attention_side_s / steps);
    add(true, dispatch_s);
    add(false, experts_s);
    add(true, combine_s);
}

}  // namespace moesim::inference
