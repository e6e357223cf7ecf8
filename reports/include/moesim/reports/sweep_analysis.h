#pragma once
// A sweep's runs as trade-offs (`moesim report sweep`): the figures each front compares, and
// which runs are on each Pareto front (pareto.h).
//   training: step time against peak memory per GPU; GPU-hours against GPU count when the
//             sweep varies the GPU count
//   serving:  decode output tokens/s per GPU against TPOT p99; $ per 1M output tokens
//             against TTFT p99
// A layout over memory (--allow-memory-overflow) and a serving run that missed its SLO, left
// requests unfinished or rejected some are excluded: drawn, never on a front.
#include <cstdint>
#include <string>
#include <vector>

#include "moesim/reports/document.h"
#include "moesim/reports/pareto.h"
#include "moesim/reports/run_record.h"
#include "moesim/reports/sweep_store.h"

namespace moesim::report {

struct Metric {
    std::string key;   // CSV and JSON name: "step_time_s"
    std::string name;  // "step time"
    std::string unit;  // "s"
    Sense sense = Sense::Minimize;
    int decimals = 2;  // in the tables
};

struct SweepFront {
    std::string key;    // "step_time_vs_peak_memory"
    std::string title;  // "Step time against peak memory per GPU"
    std::string short_name;  // the table's mark: "time/memory"
    Metric x, y;
    std::vector<double> xs, ys;       // one per run, NaN when the run does not record it
    std::vector<PointKind> kinds;     // one per run
    std::vector<std::size_t> front;   // indices of the front's runs, by x (then y)
};

// A figure of every run, for the tables.
struct MetricColumn {
    Metric metric;
    std::vector<double> values;  // one per run, NaN when the run does not record it
};

struct SweepAnalysis {
    SweepRecord sweep;
    std::string mode;  // "training" | "inference"; "" with no runs
    std::vector<StoredRun> runs;
    std::vector<MetricColumn> columns;
    std::vector<SweepFront> fronts;
    std::vector<std::string> excluded_why;  // one per run: "" or why it is no candidate
};

SweepAnalysis analyse_sweep(SweepRecord sweep, std::vector<StoredRun> runs);

// What sets a sweep's run apart: its label's override tag ("pp=8 dp=256"), else its label.
std::string override_tag(const StoredRun& run);

}  // namespace moesim::report
