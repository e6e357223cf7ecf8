#pragma once
// Validation cases (`moesim validate`): a published figure, where it comes from, and how
// moesim reproduces it. The file format is documented in scenarios/validation/README.md;
// the bundled files are compiled into the binary (cli/CMakeLists.txt), so `moesim validate`
// works from any directory.
#include <optional>
#include <string>
#include <vector>

#include "moesim/workload/scenario.h"

namespace moesim::cli {

enum class CaseKind {
    Invalid,
    Scenario,  // simulate a scenario, compare one of its results
    Bubble,    // an idealized schedule against its bubble formula (PUBLISHED.md F)
};

struct ValidationCase {
    CaseKind kind = CaseKind::Invalid;
    std::string name;
    std::string metric;
    std::string source;
    std::string note;            // free text, not printed
    std::string file;            // the case file it came from (for errors)
    std::string path;            // its JSON pointer in that file, "/cases/3"

    // Scenario cases.
    std::string scenario;        // as written, relative to the case file's directory
    std::vector<std::string> sets;  // --set overrides, "/json/pointer=value"
    std::string fidelity = "event";  // "analytic" | "event" | "full"
    double published = 0;

    // Bubble cases: PP as in the formula (stages; DualPipeV runs on PP/2 ranks), chunk
    // times F (forward), b (input-gradient backward), W (weight-gradient backward).
    workload::Schedule schedule = workload::Schedule::Invalid;
    int pp = 0;
    int micro_batches = 0;
    double f_ms = 0, b_ms = 0, w_ms = 0;
};

// Metrics a scenario case may compare (in the order --help lists them): those of a training
// run, then those of a serving run (serving_metrics(), a subset).
const std::vector<std::string>& scenario_metrics();
const std::vector<std::string>& serving_metrics();
bool is_serving_metric(const std::string& metric);
inline const std::string kBubbleMetric = "pipeline_bubble_ms";

// Parses one case file. Throws ScenarioError("FILE", "/cases/3/key", "…") for unknown keys
// (with a did-you-mean), wrong types, impossible values and duplicate names within the file.
std::vector<ValidationCase> parse_validation_cases(const std::string& text, const std::string& file);

// The bundled case files, in file-name order, each case in file order. Names are unique
// across files (checked).
std::vector<ValidationCase> bundled_validation_cases();

// Loads the scenario a case names: a file next to the case file when there is one on disk,
// otherwise a bundled scenario (scenarios/*.json, compiled in) when the reference points
// into the bundled scenarios directory (from scenarios/validation/, "../NAME.json").
workload::Scenario load_case_scenario(const ValidationCase& c);

}  // namespace moesim::cli
