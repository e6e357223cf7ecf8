#pragma once
// A profiler trace's kernels by class (trace_rules.h): per class its kernels, count, time and
// streams; every kernel no rule names, with its time (nothing is dropped); the layers the
// trace shows (kernels of rules marked "layer"); per stream its busy time; the GPU span.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "moesim/calib/trace_reader.h"
#include "moesim/calib/trace_rules.h"

namespace moesim::calib {

struct ClassSummary {
    std::string klass;
    ModelClass model = ModelClass::Invalid;
    std::string origin;                // where its (first) rule came from: "bundled" or a file
    std::vector<std::string> kernels;  // distinct names, in order of first appearance
    std::int64_t count = 0;
    double time_us = 0;
};

struct UnclassifiedKernel {
    std::string name;
    std::int64_t count = 0;
    double time_us = 0;
};

struct StreamSummary {
    std::int64_t stream = 0;
    std::int64_t kernels = 0;
    double busy_us = 0;           // sum of durations (a stream runs one kernel at a time)
    bool communication = false;   // runs DeepEP dispatch or combine kernels
};

struct TraceSummary {
    std::vector<ClassSummary> classes;             // in the order of the rules
    std::vector<UnclassifiedKernel> unclassified;  // by time, the longest first (then by name)
    std::vector<StreamSummary> streams;            // by stream id
    int forward_layers = 0, backward_layers = 0;   // kernels of rules marked layer forward / backward
    double span_us = 0;                            // first start to last end, all streams
    double compute_busy_us = 0;  // union of the intervals of kernels on streams without communication

    double unclassified_us() const;
    // Time of the classes fitted against `model` (µs), and their kernel count.
    double model_time_us(ModelClass model) const;
    std::int64_t model_count(ModelClass model) const;
};

TraceSummary summarize(const Trace& trace, const RuleTable& rules);

}  // namespace moesim::calib
