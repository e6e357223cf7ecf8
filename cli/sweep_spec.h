#pragma once
// A sweep document (`moesim sweep SWEEP.json`): a base scenario and axes of overrides, every
// combination of which is a point. Schema (unknown keys are errors, paths named in errors):
//   name           string   what the sweep is called (stored in `sweeps`, shown in reports)
//   scenario       string   the base scenario file, relative to the sweep file
//   fidelity       string   optional, "analytic" (default), "event" or "full": training points
//   find_max_load  bool     optional, false: serving points at the highest rate meeting the SLO
//   axes           array    one or more; each is
//     {"set": "/json/pointer", "values": [v1, v2, …]}                  a list of JSON values
//     {"set": "/json/pointer", "range": {"from": a, "to": b, "step": s}}  a, a+s, … ≤ b
//     {"set": "/json/pointer", "range": {"from": a, "to": b, "factor": f}} a, a·f, … ≤ b
//     {"set": ["/p1", "/p2"], "values": [[x1, y1], [x2, y2], …]}     zipped: moved together
// Points are the axes' cartesian product, the last axis varying fastest; each point is the
// list of overrides "/json/pointer=value" that `moesim run --set` takes. At most 10^6 points.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moesim::cli {

struct SweepAxis {
    std::vector<std::string> pointers;               // one, or several moved together
    std::vector<std::vector<nlohmann::json>> values;  // per value: one JSON value per pointer
};

struct SweepSpec {
    std::string file;          // the sweep document's path
    std::string text;          // as read (stored with the runs)
    std::string name;
    std::string scenario;      // resolved against the sweep file's directory
    std::string fidelity = "analytic";
    bool find_max_load = false;
    std::vector<SweepAxis> axes;
    std::int64_t points() const;
    // Point `index` (0 ≤ index < points()): its overrides, in axis order.
    std::vector<std::string> point(std::int64_t index) const;
};

// Throws ScenarioError(file, path/key, …) for a key of object `j` not in `keys`, suggesting
// the nearest known one.
void only_keys(const nlohmann::json& j, const std::string& file, const std::string& path,
               const std::vector<std::string>& keys);

inline constexpr std::int64_t kMaxSweepPoints = 1'000'000;

// Reads and checks a sweep document. Throws ScenarioError(file, json path, what) — exit 2.
SweepSpec read_sweep(const std::string& file);

// The same for a document that extends the sweep's schema (a search's objective and
// constraints): `extra_keys` are accepted at the top level and left to the caller, which
// finds the document as parsed in `document`.
SweepSpec read_sweep(const std::string& file, const std::vector<std::string>& extra_keys, nlohmann::json& document);

}  // namespace moesim::cli
